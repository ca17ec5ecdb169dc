/**
 * The one contract a channel (webhooks, Slack, Teams, …) implements to plug into the gateway,
 * the way each kysely database implements `Dialect`: the config schema and the gateway loop
 * over the registered factories (channels/registry.ts) and never name a channel themselves.
 * Adding a channel is one folder, one factory, one line in the registry.
 * @module
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { TSchema } from 'typebox';
import type { ActionRecord } from '@countersign/core';
import type { ActionService } from '../actions/action-service.js';
import type { VoteService } from '../actions/vote-service.js';
import type { BatchVoteService } from '../actions/batch-vote-service.js';
import type { AuditEvent } from '../audit/audit-log.js';
import type { Directory } from '../config/directory.js';
import type { Notifier } from '../notify/notifier.js';
import type { ChatBatchSource } from './chat/chat-batch.js';
import type { Database } from '../storage/schema.js';

/**
 * Where a factory's section sits in countersign.yaml: `channels.<key>` for chat channels, or a
 * top-level key (`webhooks`, kept where existing files and docs already put it).
 */
export type ChannelConfigPath = readonly ['channels', string] | readonly [string];

/** What `resolve` gets besides its own section; problems read `file:line: message`. */
export interface ChannelResolveContext {
  env: NodeJS.ProcessEnv;
  where: (segments: (string | number)[]) => string;
  problems: string[];
  directory: Directory;
}

export interface ChannelFactory<Config, Settings> {
  /** The channel's name (unique): logs and error messages name it. */
  readonly name: string;
  readonly configPath: ChannelConfigPath;
  /** The TypeBox schema of its section; the config file is validated against it. */
  readonly configSchema: TSchema;
  /**
   * Reads secrets from the environment and checks what a schema cannot. `raw` is absent when
   * the section is; `undefined` then means "not configured", and the channel is not created.
   */
  resolve(raw: Config | undefined, context: ChannelResolveContext): Settings | undefined;
  /** Builds the outbound half: called before the vote path exists, which `connect` needs. */
  create(settings: Settings, base: ChannelBase): ChannelInstance;
}

/** What every channel may use from the gateway from the start. */
export interface ChannelBase {
  directory: Directory;
  db: Kysely<Database>;
  publicUrl: string;
  log: { error(msg: string): void; warn(msg: string): void };
  /** The gateway's Prometheus registry, for a channel's own delivery and failure counters. */
  metrics: Registry;
  now: () => number;
  /** A request's alike pending group, for chat messages that offer batches (chat-batch.ts). */
  alike?: ChatBatchSource;
}

/** The vote path, given to `connect` once it exists (it needs the notifiers to exist first). */
export interface ChannelServices {
  votes: VoteService;
  /** Batch decisions of alike requests (actions/batch-vote-service.ts). */
  batchVotes: BatchVoteService;
  actions: ActionService;
  find(id: string): Promise<ActionRecord | undefined>;
  /** Audit evidence of refusals the channel answers without an error status (Slack's 200). */
  record(events: AuditEvent[]): Promise<void>;
  onError(e: unknown): void;
}

export interface ChannelInstance {
  /** Joined to the outbox; every name unique across channels. */
  notifiers: Notifier[];
  /**
   * Optional capability: decides whether an agent's `callback_url` may be used (the webhook
   * channel's host allowlist). Refused at submit time so the agent hears it at once.
   */
  callbackPolicy?: { refusal(url: string): string | undefined };
  /** The inbound half, for channels people answer through. */
  connect?(services: ChannelServices): ChannelRuntime;
}

export interface ChannelRuntime {
  /** Registered with the app (`POST /slack/interactions`, `/api/messages`). */
  routes?: FastifyPluginAsync | undefined;
  /** Called once the app listens (Socket Mode connects here). */
  start?(): void;
  /** Called on shutdown, before the outbox and the store close. */
  stop?(): Promise<void>;
}
