/**
 * The webhook channel: configured endpoints and per-request callbacks, both signed with
 * HMAC-SHA256 over timestamp and body (Stripe's scheme). Roles, as in every channel folder:
 * `*-settings.ts` (its config section), `*-notifier.ts` (the `Notifier` implementations),
 * `webhook-signature.ts` (the channel's authentication), and this factory.
 * @module
 */
import type { Notifier } from '../../notify/notifier.js';
import { CallbackNotifier } from './callback-notifier.js';
import { CloudEventsNotifier } from './cloud-events-notifier.js';
import { WebhookNotifier } from './webhook-notifier.js';
import { resolveWebhookSettings, type WebhookSettings } from './webhook-settings.js';

export { CallbackNotifier } from './callback-notifier.js';
export { HostAllowlist } from './host-allowlist.js';
export { WebhookNotifier, type WebhookEndpoint, type WebhookFormat } from './webhook-notifier.js';
export { SIGNATURE_HEADER, signWebhook, verifyWebhookSignature } from './webhook-signature.js';
export { CloudEventsNotifier } from './cloud-events-notifier.js';
export { CLOUDEVENT_TYPES, type CloudEventType } from './cloud-event-types.js';
export { signCloudEvent, verifyCloudEventSignature } from './cloud-event-signature.js';
export {
  WebhooksConfigSchema,
  resolveWebhookSettings,
  endpointSecretEnv,
  type WebhookSettings,
  type WebhooksConfig,
} from './webhook-settings.js';

/**
 * The channel's notifiers: one per configured endpoint, plus the callback notifier, which is
 * always present so that an agent's `callback_url` is either delivered or refused on record.
 * `publicUrl` (`server.public_url`) names the gateway in CloudEvents (`source`, the origin).
 */
export function createWebhookChannel(
  settings: WebhookSettings,
  publicUrl: string,
): {
  notifiers: Notifier[];
  callbacks: CallbackNotifier;
} {
  const cloudEvents = { publicUrl, validationTtlMs: settings.cloudEvents.validationTtlMs };
  const notifiers: Notifier[] = settings.endpoints.map((e) =>
    e.format === 'native'
      ? new WebhookNotifier(e, settings.delivery)
      : new CloudEventsNotifier(e, cloudEvents, settings.delivery),
  );
  const callbacks = new CallbackNotifier(
    settings.callback.allowedHosts,
    settings.callback.secret,
    settings.delivery,
  );
  notifiers.push(callbacks);
  return { notifiers, callbacks };
}

/** No endpoints, no callback hosts, default delivery policy: what an absent section means. */
export function defaultWebhookSettings(): WebhookSettings {
  return resolveWebhookSettings(undefined, {}, () => 'config', []);
}
