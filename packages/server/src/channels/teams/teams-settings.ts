import { Type, type Static } from 'typebox';
import type { Directory } from '../../config/directory.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../../notify/notifier.js';

// Entra ID (Azure AD) application, tenant and object ids are GUIDs.
const GUID = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';
const Guid = Type.String({ pattern: GUID });
const Url = Type.String({ pattern: '^https?://', maxLength: 2000 });
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });
// A team channel's conversation id, as in its "Get link to channel" URL: 19:…@thread.tacv2.
const TeamChannel = Type.String({ pattern: '^19:[^\\s/?#]{1,400}$' });

/** The `channels.teams:` section of countersign.yaml (docs/teams.md). */
export const TeamsConfigSchema = Type.Object(
  {
    /** The Azure Bot's Microsoft App ID: the `aud` of every token Teams sends us. */
    app_id: Guid,
    /** The app's client secret (better: `TEAMS_APP_PASSWORD` or `app_password_env`). */
    app_password: Type.Optional(Type.String({ minLength: 1 })),
    app_password_env: Type.Optional(EnvName),
    /** Single-tenant bot: the Entra tenant that owns the app and whose people may vote. */
    tenant_id: Guid,
    /** Where a request goes when none of its reviewing groups names a channel. */
    channels: Type.Optional(Type.Array(TeamChannel)),
    /** Per reviewing group: its team channels. */
    group_channels: Type.Optional(Type.Record(Type.String(), Type.Array(TeamChannel))),
    /** Send every eligible approver who has a `teams_aad_id` the card in a personal chat. */
    dm_approvers: Type.Optional(Type.Boolean()),
    /** Map Teams users without a `teams_aad_id` by their email / UPN (conversation member). */
    email_mapping: Type.Optional(Type.Boolean()),
    /** The Bot Connector for proactive messages (default: Teams' global endpoint). */
    service_url: Type.Optional(Url),
    /** Inbound authentication: the Bot Connector's OpenID metadata and token issuer. */
    openid_metadata_url: Type.Optional(Url),
    issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    /** Outbound authentication: the Entra token endpoint (default: the tenant's). */
    token_url: Type.Optional(Url),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
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
export type TeamsConfig = Static<typeof TeamsConfigSchema>;

/** The resolved section: the secret read, URLs checked, defaults applied. */
export interface TeamsSettings {
  appId: string;
  appPassword: string;
  tenantId: string;
  channels: readonly string[];
  groupChannels: ReadonlyMap<string, readonly string[]>;
  dmApprovers: boolean;
  emailMapping: boolean;
  /** Bot Connector base URL, ending in `/`. */
  serviceUrl: string;
  openIdMetadataUrl: string;
  issuer: string;
  tokenUrl: string;
  delivery: DeliveryPolicy;
}

/** The variable Microsoft's samples use for the bot's secret; it wins over the file. */
export const TEAMS_PASSWORD_ENV = 'TEAMS_APP_PASSWORD';

/**
 * Microsoft's published endpoints: Teams' global proactive-messaging service URL
 * (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages),
 * the Bot Connector's OpenID metadata and issuer, and the tenant's token endpoint
 * (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication).
 */
export const TEAMS_DEFAULTS = {
  serviceUrl: 'https://smba.trafficmanager.net/teams/',
  openIdMetadataUrl: 'https://login.botframework.com/v1/.well-known/openidconfiguration',
  issuer: 'https://api.botframework.com',
  tokenUrl: (tenant: string) => `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
} as const;

/**
 * Resolves `channels.teams`. The secret comes from, first to last: `TEAMS_APP_PASSWORD`, the
 * variable named by `app_password_env`, `app_password`. Every URL must be https except on
 * loopback (tests): the token endpoint and the connector receive the bot's credentials, and
 * whoever can rewrite the OpenID metadata or keys in transit can mint Teams votes.
 */
export function resolveTeamsSettings(
  raw: TeamsConfig,
  env: NodeJS.ProcessEnv,
  where: (segments: (string | number)[]) => string,
  problems: string[],
  directory: Directory,
): TeamsSettings {
  const at = (...path: string[]) => where(['channels', 'teams', ...path]);
  const named = raw.app_password_env === undefined ? undefined : env[raw.app_password_env];
  if (raw.app_password_env !== undefined && named === undefined && !env[TEAMS_PASSWORD_ENV]) {
    problems.push(
      `${at('app_password_env')}: environment variable ${raw.app_password_env} is not set`,
    );
  }
  const appPassword = env[TEAMS_PASSWORD_ENV] || named || raw.app_password;
  if (!appPassword) {
    problems.push(`${at()}: needs the bot's client secret (${TEAMS_PASSWORD_ENV})`);
  }
  const url = (key: keyof TeamsConfig, value: string): string => {
    const problem = urlProblem(value);
    if (problem) problems.push(`${at(key)}: ${key} ${problem}`);
    return value;
  };

  const groupChannels = new Map<string, readonly string[]>();
  for (const [group, channels] of Object.entries(raw.group_channels ?? {})) {
    if (!directory.groups.has(group)) {
      problems.push(`${at('group_channels', group)}: unknown group "${group}"`);
    }
    groupChannels.set(group, channels);
  }
  const channels = raw.channels ?? [];
  const dmApprovers = raw.dm_approvers ?? false;
  if (channels.length === 0 && groupChannels.size === 0 && !dmApprovers) {
    problems.push(`${at()}: nowhere to post: set channels, group_channels or dm_approvers`);
  }
  // One Entra account must map to one person, or a vote could be counted for the wrong one.
  const byAadId = new Map<string, string>();
  for (const user of directory.users.values()) {
    if (user.teams_aad_id === undefined) continue;
    const id = user.teams_aad_id.toLowerCase();
    if (!new RegExp(GUID).test(id)) {
      problems.push(`${at()}: user "${user.id}": teams_aad_id is not an Entra object id (GUID)`);
    }
    const other = byAadId.get(id);
    if (other !== undefined) {
      problems.push(`${at()}: users "${other}" and "${user.id}" have the same teams_aad_id`);
    }
    byAadId.set(id, user.id);
  }

  const initialMs = raw.backoff?.initial_ms ?? DEFAULT_DELIVERY_POLICY.backoff.initialMs;
  const maxMs = raw.backoff?.max_ms ?? DEFAULT_DELIVERY_POLICY.backoff.maxMs;
  if (maxMs < initialMs) problems.push(`${at('backoff', 'max_ms')}: max_ms is below initial_ms`);
  const serviceUrl = url('service_url', raw.service_url ?? TEAMS_DEFAULTS.serviceUrl);
  return {
    appId: raw.app_id,
    appPassword: appPassword ?? '',
    tenantId: raw.tenant_id.toLowerCase(),
    channels,
    groupChannels,
    dmApprovers,
    emailMapping: raw.email_mapping ?? true,
    serviceUrl: serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`,
    openIdMetadataUrl: url(
      'openid_metadata_url',
      raw.openid_metadata_url ?? TEAMS_DEFAULTS.openIdMetadataUrl,
    ),
    issuer: raw.issuer ?? TEAMS_DEFAULTS.issuer,
    tokenUrl: url('token_url', raw.token_url ?? TEAMS_DEFAULTS.tokenUrl(raw.tenant_id)),
    delivery: {
      maxAttempts: raw.max_attempts ?? DEFAULT_DELIVERY_POLICY.maxAttempts,
      // One card to several places is several connector calls: more room than a webhook.
      timeoutMs: raw.timeout_ms ?? 15_000,
      backoff: { initialMs, maxMs },
    },
  };
}

/** Why this URL must not receive the bot's secrets or serve its keys, or undefined. */
export function urlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'not a valid URL';
  const u = new URL(value);
  if (u.username || u.password) return 'credentials in the URL are not supported';
  if (u.protocol === 'https:') return undefined;
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
  return u.protocol === 'http:' && loopback ? undefined : 'must be https (http only on loopback)';
}
