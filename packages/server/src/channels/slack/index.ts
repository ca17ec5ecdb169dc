/**
 * The Slack channel: approval requests as Block Kit messages, updated in place, and Approve /
 * Deny from Slack through the one vote path. Roles, as in every channel folder:
 * `slack-settings.ts` (its config section), `slack-notifier.ts` (the `Notifier`: Slack's part
 * of the shared chat loop, `../chat/chat-notifier.ts`; `slack-destinations.ts` where a request
 * goes, `slack-message-state.ts` what was posted), `slack-signature.ts` +
 * `slack-replay-cache.ts` (the channel's authentication), `slack-routes.ts` (HTTP mode) and
 * `slack-socket-mode.ts` (Socket Mode) feeding one `slack-interactions.ts` (a click → the
 * shared chat ballot, `../chat/chat-ballot.ts`), with `slack-identity.ts` mapping Slack users
 * to directory users, `slack-replies.ts` answering clickers, `slack-text.ts` (Slack's escaping
 * on the shared `views/inert-text.ts`) + `slack-limits.ts` keeping agent text inert and within
 * Block Kit's limits, and `slack-metrics.ts` counting what went wrong. Unit tests sit beside
 * their module (`*.test.ts`).
 * See docs/slack.md.
 * @module
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { ActionRecord } from '@countersign/core';
import type { VoteService } from '../../actions/vote-service.js';
import type { AuditEvent } from '../../audit/audit-log.js';
import type { Directory } from '../../config/directory.js';
import type { Notifier } from '../../notify/notifier.js';
import type { ChatBatchSource } from '../chat/chat-batch.js';
import type { BatchVoter } from '../chat/chat-ballot.js';
import type { Database } from '../../storage/schema.js';
import { SlackApi } from './slack-api.js';
import { SlackFollowUps } from './slack-followups.js';
import { SlackIdentityMapper } from './slack-identity.js';
import { SlackInteractions } from './slack-interactions.js';
import { SlackMetrics } from './slack-metrics.js';
import { SlackNotifier } from './slack-notifier.js';
import { SlackReplayCache } from './slack-replay-cache.js';
import { SlackReplayRepository } from '../../storage/slack-replay-repository.js';
import { slackRoutes } from './slack-routes.js';
import type { SlackSettings } from './slack-settings.js';
import { SlackSocketMode } from './slack-socket-mode.js';

export { SlackConfigSchema, resolveSlackSettings, SLACK_ENV } from './slack-settings.js';
export type { SlackConfig, SlackSettings } from './slack-settings.js';
export { signSlackRequest, verifySlackSignature } from './slack-signature.js';

/** What the channel needs from the gateway once the vote path exists. */
export interface SlackServices {
  votes: Pick<VoteService, 'vote'>;
  /** Batch decisions of alike requests (actions/batch-vote-service.ts). */
  batchVotes: BatchVoter;
  find(id: string): Promise<ActionRecord | undefined>;
  /** AppDeps.record: audit evidence of refusals answered with a 200. */
  record(events: AuditEvent[]): Promise<void>;
  onError: (e: unknown) => void;
}

/** The inbound half: HTTP route, Socket Mode connection, and their follow-up calls. */
export interface SlackRuntime {
  /** `POST /slack/interactions`; absent without a signing secret (Socket Mode only). */
  routes: FastifyPluginAsync | undefined;
  /** Connects Socket Mode (in Socket Mode), in the background. */
  start(): void;
  /** Disconnects and waits for follow-up calls. */
  stop(): Promise<void>;
}

export interface SlackChannel {
  notifiers: Notifier[];
  connect(services: SlackServices): SlackRuntime;
}

/**
 * Builds the channel in two steps, because the gateway needs the notifier before the services
 * that record votes exist, and the inbound half needs those services.
 */
export function createSlackChannel(
  settings: SlackSettings,
  base: {
    directory: Directory;
    db: Kysely<Database>;
    publicUrl: string;
    log: { error(msg: string): void; warn?(msg: string): void };
    /** The gateway's Prometheus registry, for the channel's failure counters. */
    metrics?: Registry;
    now?: () => number;
    alike?: ChatBatchSource | undefined;
  },
): SlackChannel {
  const metrics = new SlackMetrics(base.metrics);
  const api = new SlackApi(settings.botToken, {
    apiUrl: settings.apiUrl,
    timeoutMs: settings.delivery.timeoutMs,
    log: base.log,
  });
  const identities = new SlackIdentityMapper(base.directory, api, {
    emailMapping: settings.emailMapping,
    teamId: settings.teamId,
    now: base.now,
  });
  const notifier = new SlackNotifier(
    api,
    identities,
    settings,
    base.directory,
    base.publicUrl,
    metrics,
    { warn: (msg) => (base.log.warn ?? base.log.error)(msg) },
    base.alike,
  );
  return {
    notifiers: [notifier],
    connect(services) {
      const followUps = new SlackFollowUps(services.onError);
      const replay = new SlackReplayCache(new SlackReplayRepository(base.db), base.now);
      const interactions = new SlackInteractions({
        ...services,
        identities,
        api,
        followUps,
        metrics,
        publicUrl: base.publicUrl,
        teamId: settings.teamId,
      });
      const socket =
        settings.mode === 'socket' && settings.appToken !== undefined
          ? new SlackSocketMode({
              appToken: settings.appToken,
              apiUrl: settings.apiUrl,
              interactions,
              replay,
              onError: services.onError,
              now: base.now,
            })
          : undefined;
      return {
        routes:
          settings.signingSecret === undefined
            ? undefined
            : slackRoutes({
                signingSecret: settings.signingSecret,
                interactions,
                replay,
                now: base.now,
              }),
        start: () => socket?.start(),
        async stop() {
          await socket?.stop();
          await followUps.drain();
        },
      };
    },
  };
}
