import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { CHANNEL_FACTORIES, type RegisteredChannelFactory } from '../channels/registry.js';
import { OidcConfigSchema, WebConfigSchema } from '../web/web-settings.js';

/**
 * The shape of `countersign.yaml`. Every key is optional except the directory and the policy,
 * so a starter file stays short; secrets can also come from the environment (load-config.ts).
 */
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$' });

export const UserSchema = Type.Object(
  {
    id: Id,
    email: Type.Optional(Type.String({ format: 'email' })),
    name: Type.Optional(Type.String()),
    groups: Type.Optional(Type.Array(Id)),
    admin: Type.Optional(Type.Boolean()),
    /** May read the audit log and its proofs (admins may too). */
    auditor: Type.Optional(Type.Boolean()),
    slack_id: Type.Optional(Type.String()),
    teams_aad_id: Type.Optional(Type.String()),
    /** The user's `sub` at the OIDC provider: signs them in whatever their email (docs/web.md). */
    oidc_sub: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);

export const AgentSchema = Type.Object(
  {
    id: Id,
    description: Type.Optional(Type.String()),
    /** Humans responsible for the agent: they may never approve its requests. */
    owners: Type.Array(Id),
  },
  { additionalProperties: false },
);

export const GroupSchema = Type.Object(
  { id: Id, description: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const BaseProperties = {
  server: Type.Optional(
    Type.Object(
      {
        host: Type.Optional(Type.String()),
        port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
        public_url: Type.Optional(Type.String()),
        body_limit: Type.Optional(Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024 })),
        max_wait_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
        log_level: Type.Optional(
          Type.Union([
            Type.Literal('fatal'),
            Type.Literal('error'),
            Type.Literal('warn'),
            Type.Literal('info'),
            Type.Literal('debug'),
            Type.Literal('trace'),
            Type.Literal('silent'),
          ]),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  storage: Type.Optional(
    Type.Object(
      {
        /** A `postgres://` URL; absent means embedded SQLite in the data dir. */
        url: Type.Optional(Type.String()),
        /** SQLite `synchronous`: NORMAL survives a process crash, FULL also a power cut. */
        sqlite_synchronous: Type.Optional(
          Type.Union([Type.Literal('NORMAL'), Type.Literal('FULL')]),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  data_dir: Type.Optional(Type.String()),
  scheduler: Type.Optional(
    Type.Object(
      { tick_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })) },
      { additionalProperties: false },
    ),
  ),
  /** Reviewer-load insights (docs/fatigue.md). */
  insights: Type.Optional(
    Type.Object(
      {
        /** An approval at most this many seconds after notification is "fast": default 10. */
        fast_approval_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
      },
      { additionalProperties: false },
    ),
  ),
  /** Batch decisions of alike requests (docs/fatigue.md, "Batches"). */
  batches: Type.Optional(
    Type.Object(
      {
        /** Alike requests created within this duration of a group's oldest are one batch: default 15m. */
        window: Type.Optional(Type.String({ maxLength: 32 })),
      },
      { additionalProperties: false },
    ),
  ),
  /** Signed grants (docs/grants.md). The signing key itself comes from the environment. */
  audit: Type.Optional(
    Type.Object(
      {
        /** The log's identity in checkpoints (C2SP origin); default: chosen once at random. */
        origin: Type.Optional(Type.String({ pattern: '^[^\\s+]+$', maxLength: 200 })),
        /** How often to sign a checkpoint when the log grew: default 10s. */
        checkpoint_interval: Type.Optional(Type.String()),
        /**
         * C2SP tlog-witness witnesses to ask for cosignatures of each new checkpoint
         * (docs/witness.md): `name` labels logs and metrics, `url` is the witness's submission
         * prefix, `vkey` its cosigner verifier key (signature type 0x04).
         */
        witnesses: Type.Optional(
          Type.Array(
            Type.Object(
              {
                name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
                url: Type.String({ pattern: '^https?://', maxLength: 2000 }),
                vkey: Type.String({ maxLength: 500 }),
              },
              { additionalProperties: false },
            ),
            { maxItems: 32 },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  grants: Type.Optional(
    Type.Object(
      {
        ttl: Type.Optional(Type.String({ description: 'Grant lifetime, 10s to 24h; 15m' })),
        /** Where grants are signed (docs/operations.md "Threads"): default the event loop. */
        signing_thread: Type.Optional(
          Type.Union([Type.Literal('event-loop'), Type.Literal('worker')]),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  directory: Type.Object(
    {
      groups: Type.Optional(Type.Array(GroupSchema)),
      users: Type.Optional(Type.Array(UserSchema)),
      agents: Type.Optional(Type.Array(AgentSchema)),
    },
    { additionalProperties: false },
  ),
  /**
   * A path to a policy YAML file, relative to this file; or `{ file, shadow }`, where `shadow`
   * is a candidate policy evaluated beside it and never enforced (docs/policy.md "Shadow
   * policies").
   */
  policy: Type.Union([
    Type.String(),
    Type.Object(
      { file: Type.String(), shadow: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
  ]),
  /** Single sign-on for the web inbox, and its sessions (docs/web.md). */
  oidc: Type.Optional(OidcConfigSchema),
  web: Type.Optional(WebConfigSchema),
};

/**
 * Each registered channel's section (channels/registry.ts): `webhooks:` at the top level
 * (docs/webhooks.md), chat channels under `channels:` (docs/slack.md, docs/teams.md). An
 * unknown key under `channels:` is refused like any other unknown key, with its line.
 */
function channelProperties(): Record<string, TSchema> {
  const top: Record<string, TSchema> = {};
  const chat: Record<string, TSchema> = {};
  for (const factory of CHANNEL_FACTORIES) {
    const [first, second] = factory.configPath;
    if (second === undefined) top[first] = Type.Optional(factory.configSchema);
    else chat[second] = Type.Optional(factory.configSchema);
  }
  return {
    ...top,
    channels: Type.Optional(Type.Object(chat, { additionalProperties: false })),
  };
}

export const ConfigSchema: TSchema = Type.Object(
  { ...BaseProperties, ...channelProperties() },
  { additionalProperties: false },
);

// The channel sections' types, derived from the registry so that configs built in code
// (tests, the demo) are checked against each channel's own schema.
type SectionOf<F extends RegisteredChannelFactory> = Static<F['configSchema']>;
type TopLevelSections = {
  [
    F in RegisteredChannelFactory as F['configPath'] extends readonly [infer K extends string]
      ? K
      : never
  ]?: SectionOf<F>;
};
type ChatSections = {
  [
    F in RegisteredChannelFactory as F['configPath'] extends readonly [
      'channels',
      infer K extends string,
    ]
      ? K
      : never
  ]?: SectionOf<F>;
};

export type ConfigFile = Static<TObject<typeof BaseProperties>> &
  TopLevelSections & { channels?: ChatSections };
export type UserEntry = Static<typeof UserSchema>;
export type AgentEntry = Static<typeof AgentSchema>;
export type GroupEntry = Static<typeof GroupSchema>;
