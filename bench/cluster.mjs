// Shared by the multi-replica benchmarks: a fresh PostgreSQL database (or embedded SQLite), a
// configuration file, and `countersign serve` child processes on it, as an operator runs them
// behind a load balancer (same file, same public_url, one port each).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_ADMIN_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLI = new URL('../packages/cli/dist/src/main.js', import.meta.url).pathname;

/** Whether the PostgreSQL server answers. */
export async function postgresAvailable() {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Creates an empty database with a unique name; returns its URL and a dropper. */
export async function freshDatabase(prefix = 'cs_bench') {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      await c.end();
    },
  };
}

export const POLICY = `version: 1
rules:
  - id: bench-allow
    match: { action: "bench.*" }
    decision: allow
  - id: bench-approve
    match: { action: latency.approve }
    require_approval: { from: [reviewers], quorum: 1, timeout: 1h }
  - id: bench-timer
    match: { action: timer.expire }
    require_approval: { from: [reviewers], quorum: 1, timeout: 1h }
  - id: bench-escalate
    match: { action: timer.escalate }
    require_approval: { from: [reviewers], quorum: 1, timeout: 1h, escalate: { after: 30m, to: [oncall] } }
`;

/** The body every auto-allowed load request sends (the same as throughput.mjs). */
export const ALLOW_BODY = JSON.stringify({
  action: 'bench.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 500, columns: ['id', 'email'], format: 'csv' },
  justification: 'benchmark',
});

/**
 * Writes countersign.yaml and policy.yaml in a new directory. `databaseUrl` absent: embedded
 * SQLite in that directory. `extra` is appended verbatim (YAML sections such as webhooks:).
 */
export function writeConfig({ databaseUrl, maxWaitSeconds = 60, tickMs = 1000, extra = '' }) {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-bench-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  writeFileSync(
    join(dir, 'countersign.yaml'),
    `server:
  host: 127.0.0.1
  port: 0
  public_url: http://bench.countersign.test
  log_level: warn
  max_wait_seconds: ${maxWaitSeconds}
storage:
  ${databaseUrl ? `url: ${databaseUrl}` : 'sqlite_synchronous: NORMAL'}
data_dir: data
scheduler:
  tick_ms: ${tickMs}
directory:
  groups: [{ id: reviewers }, { id: oncall }]
  users:
    - { id: rita, groups: [reviewers] }
    - { id: otto, groups: [oncall] }
    - { id: owen, groups: [] }
  agents:
    - { id: bench-agent, owners: [owen] }
policy: policy.yaml
${extra}`,
  );
  return {
    dir,
    file: join(dir, 'countersign.yaml'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Mints a token with the CLI, as an operator would. */
export function token(configFile, kind, id) {
  const r = spawnSync(
    process.execPath,
    [CLI, 'token', 'create', `--${kind}`, id, '--config', configFile],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`token create: ${r.stderr}`);
  return r.stdout.trim();
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Starts `countersign serve --config FILE` on a free port and waits for /readyz. The child's
 * log (warn and above) goes to this process's stderr: stdout carries only the result line,
 * which run.mjs collects. `fdLimit` raises the child's open-file
 * limit through the shell (long-poll benchmarks).
 */
export async function startReplica(configFile, { fdLimit } = {}) {
  const port = await freePort();
  const args = [CLI, 'serve', '--config', configFile];
  const env = { ...process.env, COUNTERSIGN_PORT: String(port) };
  delete env.DATABASE_URL; // the file says which store
  const child = fdLimit
    ? spawn('sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, ...args], {
        env,
        stdio: ['ignore', 2, 2],
      })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 2, 2] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`replica on ${url} not ready after 60 s`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// CPU seconds (user + system, every thread) a process has used, from /proc (Linux); null
// elsewhere. As throughput.mjs.
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Resident set size in MB, from /proc (Linux); null elsewhere. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** One JSON API call (global fetch: keep-alive). Throws on a 4xx/5xx. */
export async function call(url, method, path, bearer, body) {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (res.status >= 400)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Submits `n` requests, `concurrency` at a time, spread round-robin over `urls`. */
export async function submitMany(urls, bearer, n, body, concurrency = 32) {
  const ids = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await call(urls[i % urls.length], 'POST', '/v1/actions', bearer, body(i));
        ids[i] = r.id;
      }
    }),
  );
  return ids;
}

/** p-quantiles of a list of numbers (ms), rounded to 0.1 ms. */
export function quantiles(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (x) => Math.round(x * 10) / 10;
  return { n: s.length, p50_ms: r(q(0.5)), p99_ms: r(q(0.99)), max_ms: r(s.at(-1)) };
}
