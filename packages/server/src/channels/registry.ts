/**
 * Every channel the gateway knows, the one list the config schema (config/config-schema.ts),
 * the config loader (config/load-config.ts) and the gateway loop over. To add a channel: a
 * folder `channels/<name>/` with its settings, notifier and `<name>-channel-factory.ts`, and
 * one line here (docs/operations.md, "Channels are plug-ins").
 * @module
 */
import { slackChannelFactory } from './slack/slack-channel-factory.js';
import { teamsChannelFactory } from './teams/teams-channel-factory.js';
import { webhookChannelFactory } from './webhook/webhook-channel-factory.js';

// `as const` keeps each factory's own type: config-schema.ts derives the typed sections of
// `ConfigFile` from it. Order is the order notifiers join the outbox.
export const CHANNEL_FACTORIES = [
  webhookChannelFactory,
  slackChannelFactory,
  teamsChannelFactory,
] as const;

export type RegisteredChannelFactory = (typeof CHANNEL_FACTORIES)[number];
