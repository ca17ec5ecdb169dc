import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TokenRepository, TokenService, openAuditLog } from '@countersign/server';
import { withStore } from '../src/open-store.js';
import { MAIN, exited, freePort } from './cli-harness.js';

/**
 * Several `countersign serve` processes on one fresh PostgreSQL database, as replicas behind a
 * load balancer: one config file (the same `public_url`, directory, policy and database; the
 * keys are generated once in the database by the first replica), a data directory and a port
 * each. Tests reach them only through HTTP.
 */

const PG_ADMIN_URL =
  process.env.COUNTERSIGN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether the test PostgreSQL server answers (the suite is skipped, saying so, when not). */
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

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const POLICY = `version: 1
rules:
  - id: small-export
    match: { action: db.export }
    when: params.rows <= 10000
    decision: allow
  - id: large-export
    match: { action: db.export }
    when: params.rows > 10000
    require_approval: { from: [data-owners], quorum: 2 }
  - id: restore
    match: { action: db.restore }
    require_approval: { from: [data-owners], quorum: 1 }
  - id: restart
    match: { action: k8s.rollout.restart }
    require_approval: { from: [sre-oncall], timeout: 2s }
  - id: failover
    match: { action: db.failover }
    require_approval:
      from: [data-owners]
      timeout: 10m
      escalate: { after: 1s, to: [sre-oncall] }
`;

const config = (databaseUrl: string) => `server:
  host: 127.0.0.1
  log_level: warn
  public_url: https://countersign.test
storage: { url: "${databaseUrl}" }
scheduler: { tick_ms: 100 }
audit: { checkpoint_interval: 2s }
directory:
  groups: [{ id: data-owners }, { id: sre-oncall }]
  users:
    - { id: alice, groups: [data-owners] }
    - { id: frank, groups: [data-owners] }
    - { id: bob, groups: [data-owners] }
    - { id: carol, groups: [sre-oncall] }
    - { id: root, admin: true }
  agents:
    - { id: exporter, owners: [root] }
policy: policy.yaml
`;

export interface Reply {
  /** 0 when no HTTP answer came (connection refused or reset, or the timeout passed). */
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON bodies
  body: any;
}

/** One `countersign serve` process. */
export class Replica {
  child: ChildProcess | undefined;
  stderr = '';
  readonly url: string;

  constructor(
    readonly name: string,
    private readonly port: number,
    private readonly cluster: { config: string; dir: string },
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the process and waits until its /readyz answers 200. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', this.cluster.config], {
      env: {
        ...process.env,
        COUNTERSIGN_PORT: String(this.port),
        COUNTERSIGN_DATA_DIR: join(this.cluster.dir, `data-${this.name}`),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`replica ${this.name} exited ${child.exitCode}: ${this.stderr}`);
      }
      if ((await this.call('GET', '/readyz', { timeoutMs: 1_000 })).status === 200) return;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`replica ${this.name} did not start: ${this.stderr}`);
  }

  /** Sends a signal to the process (SIGKILL, SIGSTOP, SIGCONT, SIGTERM). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** kill -9, and waits until the process is gone. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await exited(this.child);
  }

  /** SIGTERM (SIGCONT first, in case it is stopped), and waits until the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    await exited(child);
    clearTimeout(timer);
  }

  /** A JSON request; never throws (status 0 when no answer came in `timeoutMs`). */
  async call(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; timeoutMs?: number } = {},
  ): Promise<Reply> {
    try {
      const res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.body === undefined ? null : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body };
    } catch (e) {
      return { status: 0, body: { error: String(e) } };
    }
  }
}

export type Tokens = Record<'agent' | 'alice' | 'frank' | 'bob' | 'carol' | 'root', string>;

/** Three (or `n`) replicas on one fresh database, with a token for every party. */
export class Cluster {
  private constructor(
    readonly dir: string,
    readonly config: string,
    readonly databaseUrl: string,
    readonly replicas: Replica[],
    readonly tokens: Tokens,
  ) {}

  static async start(n = 3): Promise<Cluster> {
    const name = `cs_replicas_${randomBytes(6).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    const dir = mkdtempSync(join(tmpdir(), 'countersign-replicas-'));
    const configFile = join(dir, 'countersign.yaml');
    writeFileSync(configFile, config(databaseUrl));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    const names = ['A', 'B', 'C', 'D', 'E'].slice(0, n);
    const replicas: Replica[] = [];
    for (const r of names) {
      replicas.push(new Replica(r, await freePort(), { config: configFile, dir }));
    }
    // The first replica migrates the store, generates the keys and records its settings; the
    // others then start side by side, as a rolling deployment's new pods would (and the
    // tokens are minted meanwhile).
    const started = new Cluster(dir, configFile, databaseUrl, replicas, {} as Tokens);
    try {
      await replicas[0]?.start();
      const others = Promise.all(replicas.slice(1).map((r) => r.start()));
      others.catch(() => undefined); // awaited below; not unhandled meanwhile
      // What `countersign token create` does, in this process: six CLI processes cost seconds.
      const tokens = await withStore(configFile, async (storage, settings) => {
        const audit = await openAuditLog(storage, { origin: settings.audit.origin });
        const service = new TokenService(
          new TokenRepository(storage.db, audit),
          settings.directory,
          Date.now,
        );
        const token = async (kind: 'agent' | 'user', id: string) =>
          (await service.create(kind, id, {})).token;
        return {
          agent: await token('agent', 'exporter'),
          alice: await token('user', 'alice'),
          frank: await token('user', 'frank'),
          bob: await token('user', 'bob'),
          carol: await token('user', 'carol'),
          root: await token('user', 'root'),
        };
      });
      await others;
      return new Cluster(dir, configFile, databaseUrl, replicas, tokens);
    } catch (e) {
      await started.close();
      throw e;
    }
  }

  /** Stops every replica still running and drops the database. */
  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop()));
    const name = new URL(this.databaseUrl).pathname.slice(1);
    await admin(async (c) => {
      for (let i = 0; i < 100; i++) {
        const { rows } = await c.query<{ n: string }>(
          'select count(*) as n from pg_stat_activity where datname = $1',
          [name],
        );
        if (Number(rows[0]?.n ?? 0) === 0) break;
        await sleep(20);
      }
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  }
}

/** Runs the countersign binary without blocking the test's event loop. */
export function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined), at most `ms`; throws with `what`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}
