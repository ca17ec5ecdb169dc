/**
 * The Slack channel as a plug-in (docs/slack.md): `channels.slack` in countersign.yaml. Adapts
 * `createSlackChannel`, whose two steps (notifiers, then `connect`) are the contract's own.
 * @module
 */
import type { ChannelFactory } from '../channel-factory.js';
import { createSlackChannel } from './index.js';
import {
  SlackConfigSchema,
  resolveSlackSettings,
  type SlackConfig,
  type SlackSettings,
} from './slack-settings.js';

export const slackChannelFactory = {
  name: 'slack',
  configPath: ['channels', 'slack'] as const,
  configSchema: SlackConfigSchema,
  resolve: (raw, { env, where, problems, directory }) =>
    raw && resolveSlackSettings(raw, env, where, problems, directory),
  create(settings, base) {
    const channel = createSlackChannel(settings, base);
    return {
      notifiers: channel.notifiers,
      connect: (services) => channel.connect(services),
    };
  },
} satisfies ChannelFactory<SlackConfig, SlackSettings>;
