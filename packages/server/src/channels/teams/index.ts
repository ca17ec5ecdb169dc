/**
 * The Microsoft Teams channel (docs/teams.md). Roles, as in every channel folder:
 * `teams-settings.ts` (its config section), `teams-notifier.ts` (the `Notifier`: Teams' part
 * of the shared chat loop, `../chat/chat-notifier.ts`; `teams-card-state.ts` what was posted),
 * `teams-card.ts` + `teams-text.ts` (the Adaptive Card; Teams' escaping on the shared
 * `views/inert-text.ts`), `teams-destinations.ts` (where a request goes), `teams-jwt.ts` +
 * `teams-openid-keys.ts` (the channel's authentication: Bot Framework JWTs),
 * `teams-identity.ts` (Teams account → Countersign user), `teams-invoke.ts` (a click → the
 * shared chat ballot, `../chat/chat-ballot.ts`), `teams-routes.ts` (`POST /api/messages`),
 * `teams-connector.ts` + `teams-token-source.ts` (the Bot Connector through the Microsoft 365
 * Agents SDK), and this factory. Unit tests sit beside their module (`*.test.ts`).
 * @module
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ActionService } from '../../actions/action-service.js';
import type { VoteService } from '../../actions/vote-service.js';
import type { AuditEvent } from '../../audit/audit-log.js';
import type { Directory } from '../../config/directory.js';
import { TeamsConnector } from './teams-connector.js';
import type { BatchVoter } from '../chat/chat-ballot.js';
import type { ChatBatchSource } from '../chat/chat-batch.js';
import { TeamsIdentityMapper } from './teams-identity.js';
import { TeamsInvokeHandler } from './teams-invoke.js';
import { TeamsJwtValidator } from './teams-jwt.js';
import { TeamsNotifier } from './teams-notifier.js';
import { OpenIdKeys } from './teams-openid-keys.js';
import { teamsRoutes } from './teams-routes.js';
import type { TeamsSettings } from './teams-settings.js';
import { TeamsTokenSource } from './teams-token-source.js';

export { TeamsNotifier } from './teams-notifier.js';
export { TeamsJwtValidator, type TeamsAuthFailure } from './teams-jwt.js';
export { requestCard, VERBS, COMMENT_INPUT, type AdaptiveCard } from './teams-card.js';
export {
  TeamsConfigSchema,
  resolveTeamsSettings,
  TEAMS_PASSWORD_ENV,
  type TeamsConfig,
  type TeamsSettings,
} from './teams-settings.js';

/** What the gateway needs for the vote path, which exists only after the notifiers do. */
export interface TeamsRouteDeps {
  votes: VoteService;
  /** Batch decisions of alike requests (actions/batch-vote-service.ts). */
  batchVotes: BatchVoter;
  actions: ActionService;
  record: (events: AuditEvent[]) => Promise<void>;
}

export interface TeamsChannel {
  notifier: TeamsNotifier;
  /** The `/api/messages` plugin, for `app.register`. */
  routes(deps: TeamsRouteDeps): FastifyPluginAsync;
}

export function createTeamsChannel(
  settings: TeamsSettings,
  options: {
    directory: Directory;
    publicUrl: string;
    now?: () => number;
    log?: { warn(msg: string): void };
    alike?: ChatBatchSource | undefined;
  },
): TeamsChannel {
  const tokens = new TeamsTokenSource(settings, options.now);
  const connector = new TeamsConnector(settings, tokens);
  const notifier = new TeamsNotifier(
    connector,
    settings,
    options.directory,
    options.publicUrl,
    options.log,
    options.alike,
  );
  return {
    notifier,
    routes(deps) {
      const jwt = new TeamsJwtValidator(new OpenIdKeys(settings.openIdMetadataUrl, options.now), {
        appId: settings.appId,
        issuer: settings.issuer,
        ...(options.now ? { now: options.now } : {}),
      });
      const identities = new TeamsIdentityMapper(options.directory, connector, settings);
      const invokes = new TeamsInvokeHandler({
        ...deps,
        identities,
        publicUrl: options.publicUrl,
      });
      return teamsRoutes(jwt, invokes);
    },
  };
}
