import { Type, type Static } from 'typebox';
import type { DeliveryPolicy } from '../../notify/notifier.js';
import { HostAllowlist } from './host-allowlist.js';
import type { WebhookEndpoint } from './webhook-notifier.js';

// The seam's NotificationEvent names (assigning them to WebhookEndpoint.events checks that).
const EventName = Type.Union([
  Type.Literal('action.requested'),
  Type.Literal('action.voted'),
  Type.Literal('action.escalated'),
  Type.Literal('action.decided'),
  Type.Literal('action.reported'),
]);

// Short HMAC secrets can be brute-forced offline from one signed delivery.
const Secret = Type.String({ minLength: 16 });
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });

/** The `webhooks:` section of countersign.yaml. */
export const WebhooksConfigSchema = Type.Object(
  {
    endpoints: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
            url: Type.String({ pattern: '^https?://', maxLength: 2000 }),
            secret: Type.Optional(Secret),
            secret_env: Type.Optional(EnvName),
            events: Type.Optional(Type.Array(EventName, { minItems: 1 })),
            // docs/cloudevents.md; absent: native
            format: Type.Optional(
              Type.Union([
                Type.Literal('native'),
                Type.Literal('cloudevents-structured'),
                Type.Literal('cloudevents-binary'),
              ]),
            ),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    callback: Type.Optional(
      Type.Object(
        {
          secret: Type.Optional(Secret),
          secret_env: Type.Optional(EnvName),
          allowed_hosts: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    cloudevents: Type.Optional(
      Type.Object(
        {
          // How long an endpoint's consent (the validation handshake) is trusted: 1 min – 7 days.
          validation_ttl_ms: Type.Optional(Type.Integer({ minimum: 60_000, maximum: 604_800_000 })),
        },
        { additionalProperties: false },
      ),
    ),
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
export type WebhooksConfig = Static<typeof WebhooksConfigSchema>;

/** The resolved section: secrets read, hosts parsed. */
export interface WebhookSettings {
  endpoints: WebhookEndpoint[];
  callback: { secret: string | undefined; allowedHosts: HostAllowlist };
  cloudEvents: { validationTtlMs: number };
  delivery: DeliveryPolicy;
}

/** The environment variable that overrides an endpoint's secret: `COUNTERSIGN_WEBHOOK_OPS_SECRET`. */
export function endpointSecretEnv(name: string): string {
  return `COUNTERSIGN_WEBHOOK_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SECRET`;
}

/**
 * Resolves `webhooks:`. Secrets come from, in order: `COUNTERSIGN_WEBHOOK_<NAME>_SECRET`
 * (`COUNTERSIGN_CALLBACK_SECRET` for callbacks), the variable named by `secret_env`, then
 * `secret`. Problems are appended to `problems` as `file:line: message`.
 */
export function resolveWebhookSettings(
  raw: WebhooksConfig | undefined,
  env: NodeJS.ProcessEnv,
  where: (segments: (string | number)[]) => string,
  problems: string[],
): WebhookSettings {
  const secretOf = (
    entry: { secret?: string | undefined; secret_env?: string | undefined },
    override: string,
    path: (string | number)[],
  ): string | undefined => {
    const fromEnvName = entry.secret_env === undefined ? undefined : env[entry.secret_env];
    if (
      entry.secret_env !== undefined &&
      fromEnvName === undefined &&
      env[override] === undefined
    ) {
      problems.push(
        `${where([...path, 'secret_env'])}: environment variable ${entry.secret_env} is not set`,
      );
    }
    const secret = env[override] ?? fromEnvName ?? entry.secret;
    if (secret !== undefined && secret.length < 16) {
      problems.push(`${where(path)}: the secret must be at least 16 characters`);
    }
    return secret;
  };

  const seen = new Set<string>();
  const endpoints: WebhookEndpoint[] = [];
  (raw?.endpoints ?? []).forEach((e, i) => {
    const path = ['webhooks', 'endpoints', i];
    if (seen.has(e.name))
      problems.push(`${where([...path, 'name'])}: duplicate endpoint "${e.name}"`);
    seen.add(e.name);
    const url = URL.canParse(e.url) ? new URL(e.url) : undefined;
    if (!url) problems.push(`${where([...path, 'url'])}: not a valid URL`);
    else if (url.username || url.password) {
      problems.push(
        `${where([...path, 'url'])}: credentials in the URL are not supported; the signature authenticates us`,
      );
    }
    const secret = secretOf(e, endpointSecretEnv(e.name), path);
    if (secret === undefined) {
      problems.push(
        `${where(path)}: endpoint "${e.name}" needs a secret (secret, secret_env or ${endpointSecretEnv(e.name)})`,
      );
    }
    endpoints.push({
      name: e.name,
      url: e.url,
      secret: secret ?? '',
      events: e.events,
      format: e.format ?? 'native',
    });
  });

  const callbackPath = ['webhooks', 'callback'];
  const callbackSecret = secretOf(raw?.callback ?? {}, 'COUNTERSIGN_CALLBACK_SECRET', callbackPath);
  let allowedHosts = HostAllowlist.parse([]);
  try {
    allowedHosts = HostAllowlist.parse(raw?.callback?.allowed_hosts ?? []);
  } catch (e) {
    problems.push(`${where([...callbackPath, 'allowed_hosts'])}: ${(e as Error).message}`);
  }
  if (!allowedHosts.empty && callbackSecret === undefined) {
    // An unsigned callback could be forged by anyone who can reach the agent.
    problems.push(
      `${where(callbackPath)}: callbacks need a secret (secret, secret_env or COUNTERSIGN_CALLBACK_SECRET)`,
    );
  }

  const initialMs = raw?.backoff?.initial_ms ?? 1000;
  const maxMs = raw?.backoff?.max_ms ?? 10 * 60_000;
  if (maxMs < initialMs) {
    problems.push(`${where(['webhooks', 'backoff', 'max_ms'])}: max_ms is below initial_ms`);
  }
  return {
    endpoints,
    callback: { secret: callbackSecret, allowedHosts },
    cloudEvents: { validationTtlMs: raw?.cloudevents?.validation_ttl_ms ?? 3_600_000 },
    delivery: {
      maxAttempts: raw?.max_attempts ?? 12,
      timeoutMs: raw?.timeout_ms ?? 5000,
      backoff: { initialMs, maxMs },
    },
  };
}
