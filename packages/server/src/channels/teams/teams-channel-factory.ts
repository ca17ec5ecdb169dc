/**
 * The Microsoft Teams channel as a plug-in (docs/teams.md): `channels.teams` in
 * countersign.yaml. Adapts `createTeamsChannel`: its notifier, then its `/api/messages` route
 * once the vote path exists.
 * @module
 */
import type { ChannelFactory } from '../channel-factory.js';
import { createTeamsChannel } from './index.js';
import {
  TeamsConfigSchema,
  resolveTeamsSettings,
  type TeamsConfig,
  type TeamsSettings,
} from './teams-settings.js';

export const teamsChannelFactory = {
  name: 'teams',
  configPath: ['channels', 'teams'] as const,
  configSchema: TeamsConfigSchema,
  resolve: (raw, { env, where, problems, directory }) =>
    raw && resolveTeamsSettings(raw, env, where, problems, directory),
  create(settings, base) {
    const channel = createTeamsChannel(settings, base);
    return {
      notifiers: [channel.notifier],
      connect: (services) => ({ routes: channel.routes(services) }),
    };
  },
} satisfies ChannelFactory<TeamsConfig, TeamsSettings>;
