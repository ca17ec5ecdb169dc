// Auto-allowed decisions per second with 1, 2 and 3 gateway processes (`countersign serve`) on
// one fresh PostgreSQL database, the load spread round-robin (one autocannon per replica, the
// connections split between them), and embedded SQLite in the same run. Then the stall: with
// 3 replicas under load, one is SIGSTOPped for 10 s; the others' throughput during the stop as
// a fraction of theirs before it, and whether their /readyz stayed 200.
//   BENCH_SECONDS (8)  BENCH_CONNECTIONS (32, in all)  BENCH_STOP_SECONDS (10)  BENCH_STOP_TRIALS (2)
import autocannon from 'autocannon';
import pg from 'pg';
import {
  ALLOW_BODY,
  cpuSeconds,
  freshDatabase,
  postgresAvailable,
  sleep,
  startReplica,
  token,
  writeConfig,
} from './cluster.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const STOP_SECONDS = Number(process.env.BENCH_STOP_SECONDS ?? 10);
// Where the stop catches the victim decides the outcome (holding the audit head or not), so
// it is repeated; the worst trial is the figure.
const STOP_TRIALS = Number(process.env.BENCH_STOP_TRIALS ?? 2);

function cannon(url, bearer, connections, seconds) {
  return autocannon({
    url: `${url}/v1/actions`,
    method: 'POST',
    connections,
    duration: seconds,
    timeout: 30,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: ALLOW_BODY,
  });
}

/** Load on every replica at once (connections split), for `seconds`; rps and CPU per request. */
async function measure(replicas, bearer, seconds) {
  const per = Math.max(1, Math.round(CONNECTIONS / replicas.length));
  await Promise.all(replicas.map((r) => cannon(r.url, bearer, per, 2))); // warm-up
  const cpu0 = replicas.map((r) => cpuSeconds(r.pid));
  const results = await Promise.all(replicas.map((r) => cannon(r.url, bearer, per, seconds)));
  const cpu1 = replicas.map((r) => cpuSeconds(r.pid));
  const ok = results.reduce((s, r) => s + r['2xx'], 0);
  const bad = results.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0);
  const cpu = cpu1.reduce((s, c, i) => s + (c - cpu0[i]), 0);
  return {
    rps: Math.round(ok / seconds),
    per_replica_rps: results.map((r) => Math.round(r['2xx'] / seconds)),
    failed: bad,
    cpu_us_per_request: ok > 0 ? Math.round((cpu * 1e6) / ok) : null,
    p99_ms: Math.max(...results.map((r) => r.latency.p99)),
  };
}

/**
 * 3 replicas under load; the last one SIGSTOPped after `before` s for STOP_SECONDS. Counts
 * the 2xx answers of the others per second, and polls their /readyz every 500 ms.
 */
async function stall(replicas, bearer, databaseUrl) {
  const before = 6;
  const total = before + STOP_SECONDS + 4;
  const per = Math.max(1, Math.round(CONNECTIONS / replicas.length));
  const t0 = Date.now();
  const stamps = replicas.map(() => []);
  const refused = replicas.map(() => 0);
  const runs = replicas.map((r, i) => {
    const inst = cannon(r.url, bearer, per, total);
    inst.on('response', (_client, status) => {
      if (status < 300) stamps[i].push(Date.now() - t0);
      else refused[i]++;
    });
    return inst;
  });
  const victim = replicas.at(-1);
  const others = replicas.slice(0, -1);
  const ready = { polls: 0, not_ready: 0, worst_ms: 0 };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await Promise.all(
        others.map(async (r) => {
          const s = Date.now();
          const ok = await fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(3000) }).then(
            (res) => res.status === 200,
            () => false,
          );
          if (
            Date.now() - t0 >= before * 1000 &&
            Date.now() - t0 < (before + STOP_SECONDS) * 1000
          ) {
            ready.polls++;
            if (!ok) ready.not_ready++;
            ready.worst_ms = Math.max(ready.worst_ms, Date.now() - s);
          }
        }),
      );
      await sleep(500);
    }
  })();
  await sleep(before * 1000);
  victim.child.kill('SIGSTOP');
  // Sampled every second of the stop; the sample with the most waiting sessions is kept.
  let blocked = { sessions: 0, top: null };
  const stopEnds = Date.now() + STOP_SECONDS * 1000;
  while (Date.now() < stopEnds - 1000) {
    await sleep(1000);
    const w = await lockWaits(databaseUrl);
    if (w.sessions > blocked.sessions) blocked = w;
  }
  await sleep(Math.max(0, stopEnds - Date.now()));
  victim.child.kill('SIGCONT');
  await Promise.all(runs);
  polling = false;
  await poller;
  const count = (i, from, to) => stamps[i].filter((t) => t >= from * 1000 && t < to * 1000).length;
  const othersIdx = others.map((_, i) => i);
  const beforeRps = othersIdx.reduce((s, i) => s + count(i, 2, before), 0) / (before - 2);
  const duringRps =
    othersIdx.reduce((s, i) => s + count(i, before, before + STOP_SECONDS), 0) / STOP_SECONDS;
  // Second by second, so a stall and its recovery are visible.
  const timeline = [];
  for (let s = 0; s < total; s++)
    timeline.push(othersIdx.reduce((n, i) => n + count(i, s, s + 1), 0));
  return {
    others_rps_before: Math.round(beforeRps),
    others_rps_during_stop: Math.round(duringRps),
    fraction: beforeRps > 0 ? Number((duringRps / beforeRps).toFixed(2)) : null,
    others_refused: othersIdx.reduce((s, i) => s + refused[i], 0),
    others_per_second: timeline,
    stop_from_s: before,
    stop_to_s: before + STOP_SECONDS,
    readyz_polls_during_stop: ready.polls,
    readyz_not_200: ready.not_ready,
    readyz_slowest_ms: ready.worst_ms,
    stayed_ready: ready.not_ready === 0,
    // during the stop (the worst second): sessions waiting on a lock, and the statement most
    // of them run
    lock_waits_during_stop: blocked,
  };
}

/** Sessions of this database waiting on a lock, by statement (the first 60 characters). */
async function lockWaits(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select left(regexp_replace(query, '\\s+', ' ', 'g'), 60) as query, count(*)::int as n
         from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'
        group by 1 order by 2 desc`,
    );
    return { sessions: rows.reduce((s, r) => s + r.n, 0), top: rows[0]?.query ?? null };
  } finally {
    await client.end();
  }
}

if (!(await postgresAvailable())) {
  console.error('replicas.mjs: no PostgreSQL at BENCH_PG_URL; skipped');
  process.exit(0);
}

const db = await freshDatabase('cs_bench_replicas');
const pgConfig = writeConfig({ databaseUrl: db.url });
const sqliteConfig = writeConfig({});
const replicas = [];
const out = { name: 'replicas_postgres', connections: CONNECTIONS, seconds: SECONDS };
try {
  const first = await startReplica(pgConfig.file);
  replicas.push(first);
  const agent = token(pgConfig.file, 'agent', 'bench-agent');
  out.pg_1 = await measure(replicas, agent, SECONDS);
  replicas.push(await startReplica(pgConfig.file));
  out.pg_2 = await measure(replicas, agent, SECONDS);
  replicas.push(await startReplica(pgConfig.file));
  out.pg_3 = await measure(replicas, agent, SECONDS);
  const trials = [];
  for (let i = 0; i < STOP_TRIALS; i++) {
    trials.push(await stall(replicas, agent, db.url));
    await sleep(3000); // the victim catches up
  }
  out.sigstop = {
    worst_fraction: Math.min(...trials.map((t) => t.fraction ?? 0)),
    always_ready: trials.every((t) => t.stayed_ready),
    trials,
  };
  for (const r of replicas.splice(0)) await r.stop();

  const lite = await startReplica(sqliteConfig.file);
  replicas.push(lite);
  const liteAgent = token(sqliteConfig.file, 'agent', 'bench-agent');
  out.sqlite = await measure(replicas, liteAgent, SECONDS);

  out.ratio_3_to_1 = Number((out.pg_3.rps / out.pg_1.rps).toFixed(2));
  out.target_ratio_3_to_1 = 1.0;
  out.ratio_pg1_to_sqlite = Number((out.pg_1.rps / out.sqlite.rps).toFixed(2));
  out.target_ratio_pg1_to_sqlite = 0.4;
  out.target_stop_fraction = 0.5;
  console.log(JSON.stringify(out));
} finally {
  for (const r of replicas) await r.stop().catch(() => undefined);
  await db.drop();
  pgConfig.remove();
  sqliteConfig.remove();
}
