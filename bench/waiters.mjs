// BENCH_WAITERS (10,000) agents long-polling (`/wait`) on one `countersign serve` process, each
// on its own pending request. While nothing happens: the store's transactions per second (on
// PostgreSQL, from pg_stat_database: every statement the gateway sends outside a transaction
// is one) and the gateway's CPU, with 0 waiters and with all of them open; the gateway's RSS;
// then, while they wait, vote on BENCH_VOTES of their requests one at a time: vote → that
// waiter's answer, p50/p99.
//   BENCH_STORE=sqlite  the same on embedded SQLite (no transaction count)
//   BENCH_WAITERS (10000)  BENCH_IDLE_SECONDS (15)  BENCH_VOTES (200)
import http from 'node:http';
import pg from 'pg';
import {
  call,
  cpuSeconds,
  freshDatabase,
  postgresAvailable,
  quantiles,
  rssMb,
  sleep,
  startReplica,
  submitMany,
  token,
  writeConfig,
} from './cluster.mjs';

const WAITERS = Number(process.env.BENCH_WAITERS ?? 10_000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 15);
const VOTES = Number(process.env.BENCH_VOTES ?? 200);
// PostgreSQL backends report their counters when idle for 10 s at the latest (pgstat): wait
// that long after a change before a window starts, so it counts only the steady state.
const SETTLE_MS = 11_000;
const usePg = process.env.BENCH_STORE !== 'sqlite' && (await postgresAvailable());

const db = usePg ? await freshDatabase('cs_bench_waiters') : undefined;
const config = writeConfig({ databaseUrl: db?.url, maxWaitSeconds: 3600 });
const stats = db ? new pg.Client({ connectionString: db.url }) : undefined;
await stats?.connect();

async function transactions() {
  if (!stats) return null;
  const { rows } = await stats.query(
    'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
    [db.name],
  );
  return Number(rows[0].n);
}

/** Store transactions per second (minus this benchmark's own two reads) and CPU, over a quiet window. */
async function idleWindow(pid) {
  await sleep(SETTLE_MS);
  const x0 = await transactions();
  const c0 = cpuSeconds(pid);
  await sleep(IDLE_SECONDS * 1000);
  const x1 = await transactions();
  const c1 = cpuSeconds(pid);
  return {
    store_xact_per_s: x0 === null ? null : Number(((x1 - x0 - 1) / IDLE_SECONDS).toFixed(2)),
    cpu_percent_of_a_core: Number((((c1 - c0) / IDLE_SECONDS) * 100).toFixed(1)),
  };
}

async function openWaiters(metricsUrl) {
  const metric = async () => {
    const text = await fetch(metricsUrl).then((r) => r.text());
    return Number(/^countersign_waiters_open (\S+)/m.exec(text)?.[1] ?? NaN);
  };
  return metric;
}

const gw = await startReplica(config.file, { fdLimit: 20_000 });
const agentAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const out = {
  name: 'waiters_one_process',
  storage: usePg ? 'postgres' : 'sqlite',
  waiters: WAITERS,
};
const sockets = [];
try {
  const agent = token(config.file, 'agent', 'bench-agent');
  const reviewer = token(config.file, 'user', 'rita');
  const ids = await submitMany([gw.url], agent, WAITERS, (i) => ({
    action: 'latency.approve',
    resource: `r://${i}`,
    params: { i },
  }));
  out.idle_0_waiters = await idleWindow(gw.pid);
  out.rss_mb_0_waiters = rssMb(gw.pid);

  // One long-poll per request, on its own connection; `answered` records when each returns.
  const answered = new Map();
  const url = new URL(gw.url);
  const wait = (id) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: `/v1/actions/${id}/wait?timeout=3600`,
          agent: agentAgent,
          headers: { authorization: `Bearer ${agent}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(performance.now()));
        },
      );
      req.on('error', reject);
      req.on('socket', (s) => sockets.push(s));
      req.end();
    });
  const waitersOpen = await openWaiters(`${gw.url}/metrics`);
  for (let i = 0; i < ids.length; i += 500) {
    for (const id of ids.slice(i, i + 500)) {
      const p = wait(id);
      p.catch(() => undefined); // destroyed at the end: not an error
      answered.set(id, p);
    }
    while ((await waitersOpen()) < Math.min(i + 500, ids.length) * 0.98) await sleep(50);
  }
  while ((await waitersOpen()) < ids.length) await sleep(200);
  out.idle_with_waiters = await idleWindow(gw.pid);
  out.rss_mb_with_waiters = rssMb(gw.pid);

  const latencies = [];
  const votes = [];
  for (const id of ids.slice(0, VOTES)) {
    const t0 = performance.now();
    await call(gw.url, 'POST', `/v1/actions/${id}/votes`, reviewer, { vote: 'approve' });
    votes.push(performance.now() - t0);
    latencies.push((await answered.get(id)) - t0);
  }
  out.vote_to_waiter_while_waiting = quantiles(latencies);
  out.vote_call = quantiles(votes); // for reference: the vote's own round trip
  out.waiters_still_open = await waitersOpen();
  out.targets = {
    store_xact_per_s: 'with waiters ≤ without (no growth)',
    rss_mb: 500,
    vote_to_waiter_p99_ms: 50,
  };
  console.log(JSON.stringify(out));
} finally {
  for (const s of sockets) s.destroy();
  await gw.stop();
  await stats?.end();
  await db?.drop();
  config.remove();
}
