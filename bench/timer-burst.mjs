// Deadlines on BENCH_REPLICAS (3) `countersign serve` replicas on one fresh PostgreSQL database
// (scheduler tick 1 s, the default):
//  1. burst: BENCH_DEADLINES (1,000) pending requests whose deadline is moved (in SQL) to one
//     instant T, 3 s ahead on the database's clock: from T until the last has expired, as the
//     store records it (decided_at), and the first.
//  2. backlog: BENCH_BACKLOG (100,000) undelivered, due outbox rows for a webhook endpoint that
//     never answers (every delivery slot busy), then 20 expiries and 20 escalations due at
//     one instant: from it until the last fired (expired / escalated), against one tick.
import http from 'node:http';
import pg from 'pg';
import {
  freshDatabase,
  postgresAvailable,
  sleep,
  startReplica,
  submitMany,
  token,
  writeConfig,
} from './cluster.mjs';

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 3);
const DEADLINES = Number(process.env.BENCH_DEADLINES ?? 1000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const TICK_MS = 1000;
const SMALL = 20;

if (!(await postgresAvailable())) {
  console.error('timer-burst.mjs: no PostgreSQL at BENCH_PG_URL; skipped');
  process.exit(0);
}

// The webhook receiver: answers at once during the burst, never during the backlog run.
let hang = false;
const held = [];
const receiver = http.createServer((req, res) => {
  req.resume();
  if (hang) held.push(res);
  else res.end();
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/ops`;

const db = await freshDatabase('cs_bench_timers');
const config = writeConfig({
  databaseUrl: db.url,
  tickMs: TICK_MS,
  extra: `webhooks:
  endpoints:
    - { name: ops, url: "${hookUrl}", secret: bench-webhook-secret-0123456789 }
  max_attempts: 3
  timeout_ms: 30000
`,
});
const sqlClient = new pg.Client({ connectionString: db.url });
await sqlClient.connect();
const q = async (text, params) => (await sqlClient.query(text, params)).rows;
const dbNow = async () =>
  Number((await q('select (extract(epoch from clock_timestamp()) * 1000)::bigint as t'))[0].t);

/** Polls until `done()` (a query) says every row fired; returns the store's view of when. */
async function until(done, limitMs) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const r = await done();
    if (r.ok || Date.now() > deadline) return r;
    await sleep(50);
  }
}

const replicas = [];
const out = { name: 'timer_burst', replicas: REPLICAS, tick_ms: TICK_MS };
try {
  for (let i = 0; i < REPLICAS; i++) replicas.push(await startReplica(config.file));
  const urls = replicas.map((r) => r.url);
  const agent = token(config.file, 'agent', 'bench-agent');

  // 1. burst
  await submitMany(urls, agent, DEADLINES, (i) => ({
    action: 'timer.expire',
    resource: `r://burst/${i}`,
    params: { i },
  }));
  await sleep(2000); // let the requested-event deliveries drain
  let t = (await dbNow()) + 3000;
  await q(
    `update actions set expires_at = $1 where action = 'timer.expire' and status = 'pending'`,
    [t],
  );
  const burst = await until(async () => {
    const [r] = await q(
      `select count(*) filter (where status = 'expired')::int as n,
              min(decided_at) as first, max(decided_at) as last
         from actions where action = 'timer.expire'`,
    );
    return { ok: r.n === DEADLINES, n: r.n, first: Number(r.first), last: Number(r.last) };
  }, 60_000);
  out.burst = {
    deadlines: DEADLINES,
    expired: burst.n,
    first_after_deadline_ms: burst.first - t,
    last_after_deadline_ms: burst.last - t,
    target_last_ms: 2000,
  };

  // 2. backlog
  hang = true;
  await q(
    `insert into outbox (id, action_id, target, event, payload, attempts, next_attempt_at,
                         created_at, delivered_at, failed_at, last_error)
     select 'dlv_bulk_' || i, 'act_bulk_' || i, 'webhook:ops', 'action.requested', '{}', 0,
            $2, $2, null, null, null
       from generate_series(1, $1::int) as i`,
    [BACKLOG, (await dbNow()) - 1000],
  );
  await q('analyze outbox');
  await sleep(3 * TICK_MS); // every delivery slot now holds a request that never answers
  await submitMany(urls, agent, SMALL, (i) => ({ action: 'timer.expire', resource: `r://b/${i}` }));
  await submitMany(urls, agent, SMALL, (i) => ({
    action: 'timer.escalate',
    resource: `r://e/${i}`,
  }));
  t = (await dbNow()) + 3000;
  await q(
    `update actions set expires_at = $1 where action = 'timer.expire' and status = 'pending'`,
    [t],
  );
  await q(
    `update actions set escalate_at = $1::bigint, created_at = $1::bigint - 1800000
      where action = 'timer.escalate' and status = 'pending'`,
    [t],
  );
  const backlog = await until(async () => {
    const [e] = await q(
      `select count(*)::int as n, max(decided_at) as last from actions
        where action = 'timer.expire' and resource like 'r://b/%' and status = 'expired'`,
    );
    const [s] = await q(
      `select count(*)::int as n, max(updated_at) as last from actions
        where action = 'timer.escalate' and escalated_rules is not null`,
    );
    return {
      ok: e.n === SMALL && s.n === SMALL,
      expired: e.n,
      escalated: s.n,
      expiry_last: Number(e.last),
      escalation_last: Number(s.last),
    };
  }, 60_000);
  const [{ undelivered }] = await q(
    `select count(*)::int as undelivered from outbox where delivered_at is null and failed_at is null`,
  );
  out.backlog = {
    undelivered_outbox_rows: undelivered,
    expired: `${backlog.expired}/${SMALL}`,
    escalated: `${backlog.escalated}/${SMALL}`,
    expiry_last_after_deadline_ms: backlog.expiry_last - t,
    escalation_last_after_deadline_ms: backlog.escalation_last - t,
    target_ms: TICK_MS,
  };
  console.log(JSON.stringify(out));
} finally {
  for (const res of held) res.destroy();
  for (const r of replicas) await r.stop().catch(() => undefined);
  await sqlClient.end();
  await db.drop();
  config.remove();
  receiver.close();
}
