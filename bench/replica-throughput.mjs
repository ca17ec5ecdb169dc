// Auto-allowed decisions per second with N gateway replicas (child processes) on one
// PostgreSQL database, the load spread evenly over them (a load balancer's round robin).
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REPLICAS=3 node bench/replica-throughput.mjs
// DATABASE_URL names the server; each run creates (and drops) a database of its own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REPLICAS = Number(process.env.REPLICAS ?? 1);

if (process.argv[2] === 'replica') {
  // One replica: the same settings as every other (public_url, keys come from the store).
  process.on('SIGTERM', () => process.exit(0));
  const { createGateway, resolveConfig } = await import('../packages/server/dist/src/index.js');
  const dir = process.argv[3];
  const config = resolveConfig(
    {
      server: {
        host: '127.0.0.1',
        port: 0,
        log_level: 'silent',
        public_url: 'http://bench.invalid',
      },
      data_dir: join(dir, 'data'),
      storage: { url: process.env.BENCH_DB_URL },
      directory: {
        groups: [{ id: 'reviewers' }],
        users: [{ id: 'owen', groups: [] }],
        agents: [{ id: 'bench-agent', owners: ['owen'] }],
      },
      policy: join(dir, 'policy.yaml'),
    },
    dir,
    {},
  );
  const gateway = await createGateway(config);
  const url = await gateway.listen();
  const { token } = await gateway.tokens.create('agent', 'bench-agent');
  console.log(JSON.stringify({ url, token }));
} else {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('DATABASE_URL (a PostgreSQL server) is required');
  const name = `cs_seqbench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'countersign-replicas-'));
  writeFileSync(
    join(dir, 'policy.yaml'),
    'version: 1\nrules:\n  - id: bench-allow\n    match: { action: "bench.*" }\n    decision: allow\n',
  );
  const start = async () => {
    // BENCH_PROF=<dir>: a CPU profile of every replica (written when it exits).
    const prof = process.env.BENCH_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`]
      : [];
    const child = spawn(
      process.execPath,
      [...prof, new URL(import.meta.url).pathname, 'replica', dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BENCH_DB_URL: url.toString() },
      },
    );
    const [line] = await once(createInterface({ input: child.stdout }), 'line');
    return { child, ...JSON.parse(line) };
  };
  // One at a time: the first creates the schema and records the shared settings.
  const replicas = [];
  for (let i = 0; i < REPLICAS; i++) replicas.push(await start());
  const body = JSON.stringify({
    action: 'bench.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 500, columns: ['id', 'email'], format: 'csv' },
  });
  const load = (seconds) =>
    Promise.all(
      replicas.map((r) =>
        autocannon({
          url: `${r.url}/v1/actions`,
          method: 'POST',
          connections: Math.max(1, Math.round(CONNECTIONS / REPLICAS)),
          duration: seconds,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${r.token}` },
          body,
        }),
      ),
    );
  // CPU seconds (user + system, every thread) of the replicas, from /proc (Linux).
  const cpu = () =>
    replicas.reduce((sum, r) => {
      const f = readFileSync(`/proc/${r.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return sum + (Number(f[11]) + Number(f[12])) / 100;
    }, 0);
  try {
    await load(2); // warm-up
    const cpuBefore = cpu();
    const results = await load(DURATION);
    const cpuUsed = cpu() - cpuBefore;
    const total = results.reduce((s, r) => s + r.requests.total, 0);
    const bad = results.reduce((n, r) => n + r.non2xx + r.errors, 0);
    console.log(
      JSON.stringify({
        name: 'replica_throughput',
        replicas: REPLICAS,
        connections: CONNECTIONS,
        seconds: DURATION,
        rps: Math.round(results.reduce((s, r) => s + r.requests.average, 0)),
        per_replica_rps: results.map((r) => Math.round(r.requests.average)),
        p99_ms: Math.max(...results.map((r) => r.latency.p99)),
        replicas_cpu_us_per_request: Math.round((cpuUsed * 1e6) / total),
        failed: bad,
      }),
    );
  } finally {
    for (const r of replicas) r.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => once(r.child, 'exit')));
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
