import { Type, type Static } from 'typebox';
import type { Directory } from '../../config/directory.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../../notify/notifier.js';

/** A channel id (`C…`, `G…`, `D…`) or `#name`; the same rule as a policy's `notify.slack`. */
const SlackChannel = Type.String({ pattern: '^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{2,30})$' });
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });

/** The `channels.slack:` section of countersign.yaml (docs/slack.md). */
export const SlackConfigSchema = Type.Object(
  {
    /** `http`: Slack POSTs to /slack/interactions. `socket`: no public ingress needed. */
    mode: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('socket')])),
    bot_token: Type.Optional(Type.String()),
    bot_token_env: Type.Optional(EnvName),
    signing_secret: Type.Optional(Type.String()),
    signing_secret_env: Type.Optional(EnvName),
    app_token: Type.Optional(Type.String()),
    app_token_env: Type.Optional(EnvName),
    /** Where a request goes when neither its rules nor its groups name a channel. */
    channels: Type.Optional(Type.Array(SlackChannel)),
    /** Per reviewing group: its channels. */
    group_channels: Type.Optional(Type.Record(Type.String(), Type.Array(SlackChannel))),
    /** DM every eligible approver as well. */
    dm_approvers: Type.Optional(Type.Boolean()),
    /** Refuse interactions from any other workspace (Slack team id). */
    team_id: Type.Optional(Type.String({ pattern: '^[TE][A-Z0-9]{2,30}$' })),
    /** Map Slack users without a `slack_id` by their confirmed email (users.info). */
    email_mapping: Type.Optional(Type.Boolean()),
    /** The Web API base URL (a proxy; tests). */
    api_url: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2000 })),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 30_000 })),
    backoff: Type.Optional(
      Type.Object(
        {
          initial_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 3_600_000 })),
          max_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SlackConfig = Static<typeof SlackConfigSchema>;

/** The resolved section: secrets read from the environment, names checked. */
export interface SlackSettings {
  mode: 'http' | 'socket';
  botToken: string;
  /** Present in HTTP mode (required there); optional in Socket Mode. */
  signingSecret: string | undefined;
  /** Present in Socket Mode. */
  appToken: string | undefined;
  channels: readonly string[];
  groupChannels: ReadonlyMap<string, readonly string[]>;
  dmApprovers: boolean;
  teamId: string | undefined;
  emailMapping: boolean;
  apiUrl: string;
  delivery: DeliveryPolicy;
}

/** Slack's own variable names, as its SDKs and samples use them. */
export const SLACK_ENV = {
  botToken: 'SLACK_BOT_TOKEN',
  signingSecret: 'SLACK_SIGNING_SECRET',
  appToken: 'SLACK_APP_TOKEN',
} as const;

/**
 * Resolves `channels.slack`. Each secret comes from, first to last: Slack's standard variable
 * (`SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET`, `SLACK_APP_TOKEN`), the variable named by
 * `*_env`, the file. Problems are appended as `file:line: message`.
 */
export function resolveSlackSettings(
  raw: SlackConfig,
  env: NodeJS.ProcessEnv,
  where: (segments: (string | number)[]) => string,
  problems: string[],
  directory: Directory,
): SlackSettings {
  const at = (...path: string[]) => where(['channels', 'slack', ...path]);
  const secret = (key: 'bot_token' | 'signing_secret' | 'app_token', standard: string) => {
    const envName = raw[`${key}_env`];
    const named = envName === undefined ? undefined : env[envName];
    if (envName !== undefined && named === undefined && env[standard] === undefined) {
      problems.push(`${at(`${key}_env`)}: environment variable ${envName} is not set`);
    }
    return env[standard] || named || raw[key] || undefined;
  };
  const mode = raw.mode ?? 'http';
  const botToken = secret('bot_token', SLACK_ENV.botToken);
  const signingSecret = secret('signing_secret', SLACK_ENV.signingSecret);
  const appToken = secret('app_token', SLACK_ENV.appToken);
  // Swapped tokens are the usual first mistake; Slack's prefixes tell them apart.
  if (botToken === undefined) problems.push(`${at()}: needs a bot token (${SLACK_ENV.botToken})`);
  else if (!botToken.startsWith('xoxb-')) {
    problems.push(`${at()}: the bot token must start with xoxb- (Bot User OAuth Token)`);
  }
  if (mode === 'http' && signingSecret === undefined) {
    problems.push(`${at()}: HTTP mode needs the signing secret (${SLACK_ENV.signingSecret})`);
  }
  // A short secret could be brute-forced offline from one signed request.
  if (signingSecret !== undefined && signingSecret.length < 16) {
    problems.push(`${at()}: the signing secret must be at least 16 characters`);
  }
  if (mode === 'socket' && appToken === undefined) {
    problems.push(`${at()}: Socket Mode needs an app-level token (${SLACK_ENV.appToken})`);
  } else if (appToken !== undefined && !appToken.startsWith('xapp-')) {
    problems.push(`${at()}: the app-level token must start with xapp-`);
  }

  const groupChannels = new Map<string, readonly string[]>();
  for (const [group, channels] of Object.entries(raw.group_channels ?? {})) {
    if (!directory.groups.has(group)) {
      problems.push(`${at('group_channels', group)}: unknown group "${group}"`);
    }
    groupChannels.set(group, channels);
  }
  // One Slack account must map to one person, or a vote could be counted for the wrong one.
  const bySlackId = new Map<string, string>();
  for (const user of directory.users.values()) {
    if (user.slack_id === undefined) continue;
    const other = bySlackId.get(user.slack_id);
    if (other !== undefined) {
      problems.push(`${at()}: users "${other}" and "${user.id}" have the same slack_id`);
    }
    bySlackId.set(user.slack_id, user.id);
  }

  const initialMs = raw.backoff?.initial_ms ?? DEFAULT_DELIVERY_POLICY.backoff.initialMs;
  const maxMs = raw.backoff?.max_ms ?? DEFAULT_DELIVERY_POLICY.backoff.maxMs;
  if (maxMs < initialMs) problems.push(`${at('backoff', 'max_ms')}: max_ms is below initial_ms`);
  return {
    mode,
    botToken: botToken ?? '',
    signingSecret,
    appToken,
    channels: raw.channels ?? [],
    groupChannels,
    dmApprovers: raw.dm_approvers ?? false,
    teamId: raw.team_id,
    emailMapping: raw.email_mapping ?? true,
    apiUrl: withSlash(raw.api_url ?? 'https://slack.com/api/'),
    delivery: {
      maxAttempts: raw.max_attempts ?? DEFAULT_DELIVERY_POLICY.maxAttempts,
      timeoutMs: raw.timeout_ms ?? DEFAULT_DELIVERY_POLICY.timeoutMs,
      backoff: { initialMs, maxMs },
    },
  };
}

// The Web API client appends the method name to the base URL as is.
function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
