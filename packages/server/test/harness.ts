import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  createGateway,
  resolveConfig,
  type Gateway,
  type GatewayOptions,
  type ConfigFile,
} from '../src/index.js';

/** A directory used by most tests: two data owners, an SRE, an admin, and two agents. */
export const DIRECTORY: ConfigFile['directory'] = {
  groups: [{ id: 'data-owners' }, { id: 'security' }, { id: 'sre-oncall' }, { id: 'platform' }],
  users: [
    { id: 'frank', email: 'frank@example.com', groups: ['data-owners'] },
    { id: 'dave', email: 'dave@example.com', groups: ['platform'] },
    { id: 'erin', email: 'erin@example.com', groups: ['security', 'platform'] },
    { id: 'alice', email: 'alice@example.com', groups: ['data-owners'] },
    { id: 'bob', email: 'bob@example.com', groups: ['data-owners', 'security'] },
    { id: 'carol', email: 'carol@example.com', groups: ['sre-oncall'] },
    { id: 'root', email: 'root@example.com', groups: [], admin: true },
    { id: 'mallory', email: 'mallory@example.com', groups: [] },
  ],
  agents: [
    { id: 'exporter', owners: ['bob'] },
    { id: 'deployer', owners: ['carol'] },
  ],
};

export const POLICY = `version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }
rules:
  - id: prod-large-export
    description: Large production exports need two data owners
    match: { action: db.export, environment: production }
    when: params.rows > 10000
    require_approval:
      from: [data-owners]
      quorum: 2
  - id: small-export
    match: { action: db.export }
    when: params.rows <= 10000
    decision: allow
  - id: read-only-sql
    match: { action: db.query }
    when: '!params.sql.matches("(?i)\\\\b(insert|update|delete|drop|alter|grant|truncate)\\\\b")'
    decision: allow
  - id: never-drop-prod
    match: { action: "db.ddl.*", environment: production }
    decision: deny
    reason: Agents never run DDL on production
  - id: restarts
    match: { action: k8s.rollout.restart }
    require_approval: { from: [sre-oncall], timeout: 2s }
  - id: privilege-grant
    match: { action: iam.role.grant }
    require_approval:
      from: [{ group: security, min: 1 }, { group: platform, min: 1 }]
      justification: required
      break_glass: [carol]
  - id: restore
    match: { action: db.restore }
    require_approval:
      from: [data-owners]
      quorum: 1
      timeout: 10m
      escalate: { after: 1s, to: [sre-oncall] }
`;

/** A request POLICY sends to two data owners (`prod-large-export`). */
export const LARGE_EXPORT = {
  action: 'db.export',
  resource: 'pg://x',
  environment: 'production',
  params: { rows: 50_000 },
};

export type Dialect = 'sqlite' | 'postgres';

const PG_ADMIN_URL =
  process.env.COUNTERSIGN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether a PostgreSQL server is reachable for the dialect loop. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** The dialects to run a suite against: SQLite always, PostgreSQL when the server answers. */
export async function dialects(): Promise<Dialect[]> {
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dir: string;
  policyFile: string;
  databaseUrl: string | undefined;
  token(kind: 'agent' | 'user', id: string): Promise<string>;
  /** Requests a JSON response; never throws on 4xx/5xx. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON bodies
  count(table: 'actions' | 'tokens'): Promise<number>;
  /** Stops this gateway; with `keep`, the store survives for a restart. */
  close(options?: { keep?: boolean }): Promise<void>;
  /** A new gateway on the same store (close this one with `keep` first). */
  restart(): Promise<TestGateway>;
}

export interface StartOptions {
  dialect?: Dialect;
  grants?: ConfigFile['grants'];
  policy?: string;
  /** A shadow policy's YAML, written to `shadow.yaml` beside the policy (`policy.shadow`). */
  shadowPolicy?: string;
  directory?: ConfigFile['directory'];
  tickMs?: number;
  pollMs?: number;
  bodyLimit?: number;
  /** The `webhooks:` config section (notify and webhooks tests). */
  webhooks?: ConfigFile['webhooks'];
  /** The `channels:` config section (chat channel tests). */
  channels?: ConfigFile['channels'];
  /** The gateway's clock (tests that move time past caches and timers). */
  now?: () => number;
  /** Reuse a store (restart tests). */
  reuse?: { dir: string; databaseUrl: string | undefined };
  /** `server.public_url` (default `http://localhost:0`, the same for every test gateway). */
  publicUrl?: string;
  /** GatewayOptions.acceptConfigChange (replica-settings tests). */
  acceptConfigChange?: boolean;
  /** GatewayOptions.traceExporter (telemetry tests). */
  traceExporter?: GatewayOptions['traceExporter'];
  /** The `audit:` config section (witness tests). */
  audit?: ConfigFile['audit'];
  /** The `batches:` config section (batch tests). */
  batches?: ConfigFile['batches'];
}

async function createPgDatabase(): Promise<string> {
  const name = `cs_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Waits (up to 2 s) until no session is connected to database `name`. */
async function sessionsGone(client: pg.Client, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await client.query<{ n: string }>(
      'select count(*) as n from pg_stat_activity where datname = $1',
      [name],
    );
    if (Number(rows[0]?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function dropPgDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  // pg's pool.end() resolves before its clients have said goodbye; FORCE would then kill them
  // mid-exit and they throw "terminating connection" into whatever test runs next. Wait for
  // the closed gateway's sessions to leave first.
  await sessionsGone(client, name);
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}

/**
 * Deadlocks PostgreSQL detected in the database. A backend reports its statistics when it
 * exits at the latest, so this is read after every gateway on the store has closed.
 */
export async function pgDeadlocks(databaseUrl: string): Promise<number> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await sessionsGone(client, name);
    const { rows } = await client.query<{ n: string }>(
      'select deadlocks as n from pg_stat_database where datname = $1',
      [name],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Starts a real gateway on a loopback port with a fresh store. */
export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const dir = options.reuse?.dir ?? mkdtempSync(join(tmpdir(), 'countersign-test-'));
  const databaseUrl =
    options.reuse?.databaseUrl ??
    (options.dialect === 'postgres' ? await createPgDatabase() : undefined);
  const policyFile = join(dir, 'policy.yaml');
  if (!options.reuse) writeFileSync(policyFile, options.policy ?? POLICY);
  const shadowFile = join(dir, 'shadow.yaml');
  if (!options.reuse && options.shadowPolicy !== undefined)
    writeFileSync(shadowFile, options.shadowPolicy);
  const config = resolveConfig(
    {
      server: {
        host: '127.0.0.1',
        port: 0,
        log_level: 'silent',
        body_limit: options.bodyLimit,
        public_url: options.publicUrl,
      },
      storage: { url: databaseUrl },
      data_dir: join(dir, 'data'),
      scheduler: { tick_ms: options.tickMs ?? 50 },
      directory: options.directory ?? DIRECTORY,
      policy:
        options.shadowPolicy === undefined ? policyFile : { file: policyFile, shadow: shadowFile },
      webhooks: options.webhooks,
      channels: options.channels,
      grants: options.grants,
      audit: options.audit,
      batches: options.batches,
    },
    dir,
    {},
  );
  const gateway = await createGateway(config, {
    pollMs: options.pollMs ?? 200,
    ...(options.now ? { now: options.now } : {}),
    ...(options.acceptConfigChange ? { acceptConfigChange: true } : {}),
    ...(options.traceExporter ? { traceExporter: options.traceExporter } : {}),
  });
  const url = await gateway.listen();
  const self: TestGateway = {
    gateway,
    url,
    dir,
    policyFile,
    databaseUrl,
    async token(kind, id) {
      return (await gateway.tokens.create(kind, id)).token;
    },
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined && !headers['content-type'])
        headers['content-type'] = 'application/json';
      const res = await fetch(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return {
        status: res.status,
        headers: res.headers,
        body: parsed as Awaited<ReturnType<TestGateway['call']>>['body'],
      };
    },
    async count(table) {
      const row = await gateway.storage.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async close(opts = {}) {
      await gateway.close();
      if (opts.keep) return;
      if (databaseUrl) await dropPgDatabase(databaseUrl);
      rmSync(dir, { recursive: true, force: true });
    },
    restart() {
      return startGateway({ ...options, reuse: { dir, databaseUrl } });
    },
  };
  return self;
}

/**
 * The gateway's store once the audit evidence committed so far has its index (PostgreSQL
 * sequences it after the commit: docs/audit.md "Sequencing"): for tests that read
 * `audit_entries` directly.
 */
export async function indexedStore(gw: Pick<TestGateway, 'gateway'>) {
  await gw.gateway.audit.sync();
  return gw.gateway.storage.db;
}

/** A JSON body of about `bytes` bytes. */
export function bigBody(bytes: number) {
  return { action: 'db.query', resource: 'x', params: { sql: 'x'.repeat(bytes) } };
}
