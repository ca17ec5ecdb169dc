/**
 * @countersign/server: the gateway. HTTP API, storage, scheduler.
 * @module
 */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export {
  loadConfig,
  resolveConfig,
  ConfigError,
  type GatewayConfig,
} from './config/load-config.js';
export { ConfigSchema, type ConfigFile } from './config/config-schema.js';
// Channels are plug-ins (docs/operations.md): one contract, one registry.
export type {
  ChannelFactory,
  ChannelBase,
  ChannelServices,
  ChannelInstance,
  ChannelRuntime,
  ChannelResolveContext,
  ChannelConfigPath,
} from './channels/channel-factory.js';
export { CHANNEL_FACTORIES } from './channels/registry.js';
export { channelSettings, type ResolvedChannel } from './channels/resolved-channel.js';
export { webhookChannelFactory } from './channels/webhook/webhook-channel-factory.js';
export { slackChannelFactory } from './channels/slack/slack-channel-factory.js';
export { teamsChannelFactory } from './channels/teams/teams-channel-factory.js';
export { Directory, type User, type Agent } from './config/directory.js';
export { openDatabase, type Storage, type StorageOptions } from './storage/open-database.js';
export { ActionRepository } from './storage/action-repository.js';
export { TokenRepository } from './storage/token-repository.js';
export { TokenService, TOKEN_CACHE_MS } from './auth/token-service.js';
export { GrantService, type GrantCheck } from './grants/grant-service.js';
export { openGrantService } from './grants/open-grant-service.js';
export { KeyRing, KEY_REFRESH_MS, type KeyInfo, type PublicJwk } from './grants/key-ring.js';
export { SigningKeyRepository } from './storage/signing-key-repository.js';
export { GrantRepository } from './storage/grant-repository.js';
export { PolicyStore } from './policy/policy-store.js';
export { actionView } from './views/action-view.js';
// Notifications: the notifier seam, the outbox, and the webhook channel (docs/webhooks.md).
export type { Notification, NotificationEvent, NotificationSink } from './notify/notification.js';
export type {
  Notifier,
  Delivery,
  DeliveryContext,
  DeliveryResult,
  DeliveryPolicy,
} from './notify/notifier.js';
export type { ChannelState } from './notify/channel-state.js';
export type { NotificationPayload, PayloadVote } from './notify/notification-payload.js';
export type { DeliveryOutcome } from './notify/delivery-worker.js';
export { NotificationDispatcher } from './notify/notification-dispatcher.js';
export {
  verifyWebhookSignature,
  verifyCloudEventSignature,
  signCloudEvent,
  CLOUDEVENT_TYPES,
  signWebhook,
  SIGNATURE_HEADER,
  HostAllowlist,
  type WebhooksConfig,
  type WebhookSettings,
} from './channels/webhook/index.js';
// Slack approvals (docs/slack.md): request signing for receivers and tests, the config section.
export {
  signSlackRequest,
  verifySlackSignature,
  SlackConfigSchema,
  type SlackConfig,
  type SlackSettings,
} from './channels/slack/index.js';
// SOC 2 evidence report (docs/soc2.md): read-only over the store, rendered as HTML or JSON.
export { ReportRepository } from './storage/report-repository.js';
export { reportPeriod, type ReportPeriod } from './report/report-period.js';
export {
  generateSoc2Report,
  storedReportSigner,
  type GenerateSoc2Options,
} from './report/generate-soc2-report.js';
export { buildSoc2Report, type Soc2ReportData } from './report/build-soc2-report.js';
export { renderSoc2Html } from './report/html/render-soc2-html.js';
export { ReportRedactor, REDACTED } from './report/report-redactor.js';
export type { Soc2Report } from './report/soc2-report.js';
export {
  REPORT_SIGNATURE_FORMAT,
  signReport,
  verifyReportSignature,
  type ReportEncoding,
  type ReportSignatureCheck,
  type ReportStatement,
} from './report/report-signature.js';
export { recountFigures, type FiguresResult } from './report/report-figures.js';

export { AuditLog } from './audit/audit-log.js';
export * as auditEvents from './audit/audit-events.js';
export type { AuditEvent } from './audit/audit-events.js';
export { openAuditLog } from './audit/open-audit-log.js';
export { appendEvidenceAlone, type EvidenceLog } from './storage/evidence-log.js';
export { AuditRepository } from './storage/audit-repository.js';
// The web inbox's sign-in and pages (docs/web.md).
export {
  createWebAuth,
  defaultWebAssetsDir,
  CSRF_HEADER,
  SPA_PATHS,
  type WebAuth,
  type WebSettings,
  type OidcSettings,
} from './web/index.js';
// Microsoft Teams approvals (docs/teams.md).
export {
  createTeamsChannel,
  TeamsNotifier,
  TeamsJwtValidator,
  type TeamsConfig,
  type TeamsSettings,
  type TeamsAuthFailure,
} from './channels/teams/index.js';
// C2SP tlog-witness: the witness an auditor runs (`countersign witness serve`, docs/witness.md).
export { startWitnessServer, type WitnessServer } from './witness/witness-server.js';
export { witnessStateFile } from './witness/witness-state-file.js';
export type { WitnessConfig } from './config/load-config.js';
