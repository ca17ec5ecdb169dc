import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { CountersignError, parseCosignerVerifierKey, parseDuration } from '@countersign/core';
import { ConfigSchema, type ConfigFile } from './config-schema.js';
import { Directory } from './directory.js';
import { CHANNEL_FACTORIES } from '../channels/registry.js';
import type { ChannelFactory } from '../channels/channel-factory.js';
import { resolveChannel, type ResolvedChannel } from '../channels/resolved-channel.js';
import { resolveWebSettings, type WebSettings } from '../web/web-settings.js';

/** One C2SP tlog-witness the gateway submits checkpoints to (audit.witnesses). */
export interface WitnessConfig {
  name: string;
  /** The submission prefix: `add-checkpoint` is POSTed to `<url>/add-checkpoint`. */
  url: string;
  /** The witness's cosigner verifier key, `<name>+<id>+<base64(0x04 ‖ key)>`. */
  vkey: string;
}

export interface GatewayConfig {
  /** The file this came from (absent for configs built in code). */
  file?: string | undefined;
  server: {
    host: string;
    port: number;
    publicUrl: string;
    bodyLimit: number;
    maxWaitSeconds: number;
    logLevel: string;
  };
  storage: { url?: string | undefined; synchronous: 'NORMAL' | 'FULL' };
  dataDir: string;
  schedulerTickMs: number;
  /** origin: absent → the name the log was given on first start (stored with its key). */
  audit: {
    origin?: string | undefined;
    checkpointIntervalMs: number;
    /** Witnesses asked to cosign each new checkpoint (docs/witness.md); default none. */
    witnesses?: readonly WitnessConfig[];
  };
  grants: {
    ttlMs: number;
    /** Sign on the event loop, or on a worker thread (hosts with spare cores). */
    signingThread: 'event-loop' | 'worker';
    /** COUNTERSIGN_GRANT_SIGNING_KEY: an Ed25519 JWK or PKCS#8 PEM; absent → generated, stored. */
    signingKey?: string | undefined;
  };
  directory: Directory;
  policyFile: string;
  /** `policy.shadow`: a candidate policy evaluated beside the live one, never enforced. */
  policyShadowFile?: string | undefined;
  /**
   * The configured channels, in registry order (channels/registry.ts); a channel whose section
   * is absent is not here, except webhooks, always present. Read one channel's settings with
   * `channelSettings(config.channels, slackChannelFactory)`.
   */
  channels: ResolvedChannel[];
  /** Web inbox sessions and single sign-on; absent means the defaults, without SSO. */
  web?: WebSettings;
  /** Reviewer-load insights (docs/fatigue.md); absent means the defaults. */
  insights?: { fastApprovalMs: number };
  /** Batch decisions (docs/fatigue.md); absent means the defaults. */
  batches?: { windowMs: number };
}

export class ConfigError extends CountersignError {
  constructor(readonly problems: string[]) {
    super('config_invalid', `invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
  }
}

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives as the module.
const applyFormats = addFormats as unknown as (ajv: Ajv) => Ajv;
const ajv = applyFormats(new Ajv({ allErrors: true, strict: false }));
const validateConfig = ajv.compile<ConfigFile>(ConfigSchema);

/**
 * Reads `countersign.yaml`, validates it, and applies environment overrides. Problems are
 * reported as `file:line: path: message` so an operator can fix them without guessing.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`${path}: cannot read: ${(e as Error).message}`]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (segments: (string | number)[]): string => {
    const node: unknown = doc.getIn(segments, true);
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    return `${path}:${lineCounter.linePos(offset).line}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${path}:${e.linePos?.[0].line ?? 0}: ${e.message.split('\n')[0]}`),
    );
  }
  const raw: unknown = doc.toJS();
  if (!validateConfig(raw)) {
    throw new ConfigError(
      (validateConfig.errors ?? []).map((e) => {
        const segments = e.instancePath
          .split('/')
          .slice(1)
          .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
        const extra =
          e.keyword === 'additionalProperties'
            ? ` "${String((e.params as { additionalProperty: string }).additionalProperty)}"`
            : '';
        return `${where(segments)}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra}`;
      }),
    );
  }
  return resolveConfig(raw, dirname(path), env, path, where);
}

/** Turns a validated config object into the gateway's settings. Exported for tests and the demo. */
export function resolveConfig(
  raw: ConfigFile,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
  file?: string,
  where: (segments: (string | number)[]) => string = () => file ?? 'config',
): GatewayConfig {
  const problems: string[] = [];
  for (const kind of ['users', 'agents', 'groups'] as const) {
    const seen = new Set<string>();
    (raw.directory[kind] ?? []).forEach((entry, i) => {
      if (seen.has(entry.id)) {
        problems.push(`${where(['directory', kind, i, 'id'])}: duplicate ${kind} id "${entry.id}"`);
      }
      seen.add(entry.id);
    });
  }
  const directory = new Directory(raw.directory);
  for (const p of directory.danglingReferences()) problems.push(`${where(p.path)}: ${p.message}`);
  // Grants are short-lived by design (PRODUCT.md, non-negotiable 3): a day at the very most.
  const grantTtlMs = parseDuration(raw.grants?.ttl ?? '15m') ?? 0;
  if (grantTtlMs < 10_000 || grantTtlMs > 86_400_000) {
    problems.push(`${where(['grants', 'ttl'])}: grants.ttl must be a duration from 10s to 24h`);
  }
  const signingThread = raw.grants?.signing_thread ?? 'event-loop';
  if (signingThread !== 'event-loop' && signingThread !== 'worker') {
    problems.push(
      `${where(['grants', 'signing_thread'])}: grants.signing_thread must be event-loop or worker`,
    );
  }
  const factories: readonly ChannelFactory<never, unknown>[] = CHANNEL_FACTORIES;
  const channels = factories.flatMap((factory) => {
    const resolved = resolveChannel(factory, sectionAt(raw, factory.configPath), {
      env,
      where,
      problems,
      directory,
    });
    return resolved ?? [];
  });
  const web = resolveWebSettings(raw.oidc, raw.web, env, where, problems);
  const checkpointIntervalMs = parseDuration(raw.audit?.checkpoint_interval ?? '10s') ?? 0;
  if (checkpointIntervalMs < 1000) {
    problems.push(`${where(['audit', 'checkpoint_interval'])}: at least 1s`);
  }
  const batchWindowMs = parseDuration(raw.batches?.window ?? '15m') ?? 0;
  if (batchWindowMs < 1000 || batchWindowMs > 86_400_000) {
    problems.push(
      `${where(['batches', 'window'])}: batches.window must be a duration from 1s to 24h`,
    );
  }
  const witnesses = raw.audit?.witnesses ?? [];
  witnesses.forEach((w, i) => {
    try {
      parseCosignerVerifierKey(w.vkey);
    } catch (e) {
      problems.push(`${where(['audit', 'witnesses', i, 'vkey'])}: ${(e as Error).message}`);
    }
    if (witnesses.findIndex((other) => other.name === w.name) !== i) {
      problems.push(`${where(['audit', 'witnesses', i, 'name'])}: duplicate witness "${w.name}"`);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);

  const port = Number(env.COUNTERSIGN_PORT ?? env.PORT ?? raw.server?.port ?? 8080);
  const host = env.COUNTERSIGN_HOST ?? raw.server?.host ?? '127.0.0.1';
  const dataDir = resolve(baseDir, env.COUNTERSIGN_DATA_DIR ?? raw.data_dir ?? '.countersign');
  return {
    file,
    server: {
      host,
      port,
      publicUrl: env.COUNTERSIGN_PUBLIC_URL ?? raw.server?.public_url ?? `http://localhost:${port}`,
      bodyLimit: raw.server?.body_limit ?? 64 * 1024,
      maxWaitSeconds: raw.server?.max_wait_seconds ?? 60,
      logLevel: env.COUNTERSIGN_LOG_LEVEL ?? raw.server?.log_level ?? 'info',
    },
    storage: {
      url: env.DATABASE_URL ?? raw.storage?.url,
      synchronous: raw.storage?.sqlite_synchronous ?? 'NORMAL',
    },
    dataDir,
    schedulerTickMs: raw.scheduler?.tick_ms ?? 1000,
    grants: {
      ttlMs: grantTtlMs,
      signingThread,
      signingKey: env.COUNTERSIGN_GRANT_SIGNING_KEY,
    },
    audit: {
      origin: env.COUNTERSIGN_AUDIT_ORIGIN ?? raw.audit?.origin,
      checkpointIntervalMs,
      witnesses: witnesses.map((w) => ({
        name: w.name,
        url: w.url.replace(/\/+$/, ''),
        vkey: w.vkey,
      })),
    },
    directory,
    policyFile: resolve(baseDir, typeof raw.policy === 'string' ? raw.policy : raw.policy.file),
    policyShadowFile:
      typeof raw.policy === 'string' || raw.policy.shadow === undefined
        ? undefined
        : resolve(baseDir, raw.policy.shadow),
    channels,
    web,
    insights: { fastApprovalMs: (raw.insights?.fast_approval_seconds ?? 10) * 1000 },
    batches: { windowMs: batchWindowMs },
  };
}

/**
 * A channel's section of the validated file, `undefined` when absent. Validation checked it
 * against the factory's own schema (config-schema.ts builds the schema from the same list).
 */
function sectionAt(raw: ConfigFile, path: readonly string[]): never {
  let node: unknown = raw;
  for (const key of path) {
    node =
      node !== null && typeof node === 'object'
        ? (node as Record<string, unknown>)[key]
        : undefined;
  }
  // `never`: each factory takes its own Config type, which the schema validation vouches for.
  return node as never;
}
