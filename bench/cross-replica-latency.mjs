// Three `countersign serve` replicas on one fresh PostgreSQL database: the agent submits on A,
// waits on B (a long-poll and an SSE stream, both open before the vote), a reviewer votes on
// C. From sending the vote to each answer: p50/p99/max over BENCH_APPROVALS requests, one at a
// time (the same definition as approval-latency.mjs, which measures one replica).
//   BENCH_APPROVALS (300)
import {
  call,
  freshDatabase,
  postgresAvailable,
  quantiles,
  sleep,
  startReplica,
  token,
  writeConfig,
} from './cluster.mjs';

const N = Number(process.env.BENCH_APPROVALS ?? 300);
const WARMUP = 20;

/** Opens the request's SSE stream; resolves `opened` on its first event, `approved` on the decision. */
async function stream(url, id, bearer) {
  const res = await fetch(`${url}/v1/actions/${id}/events`, {
    headers: { authorization: `Bearer ${bearer}` },
  });
  if (res.status !== 200) throw new Error(`events: ${res.status}`);
  let opened;
  const first = new Promise((r) => (opened = r));
  const approved = (async () => {
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes('event: action')) opened();
      if (text.includes('"status":"approved"')) return performance.now();
    }
    throw new Error('stream ended without the decision');
  })();
  await first;
  return { approved }; // wrapped: an async function returning a promise would wait for it
}

if (!(await postgresAvailable())) {
  console.error('cross-replica-latency.mjs: no PostgreSQL at BENCH_PG_URL; skipped');
  process.exit(0);
}

const db = await freshDatabase('cs_bench_xlat');
const config = writeConfig({ databaseUrl: db.url });
const replicas = [];
try {
  for (let i = 0; i < 3; i++) replicas.push(await startReplica(config.file));
  const [a, b, c] = replicas.map((r) => r.url);
  const agent = token(config.file, 'agent', 'bench-agent');
  const reviewer = token(config.file, 'user', 'rita');
  const poll = [];
  const sse = [];
  const same = [];
  const vote = [];
  for (let i = 0; i < N + WARMUP; i++) {
    const req = await call(a, 'POST', '/v1/actions', agent, {
      action: 'latency.approve',
      resource: `r://${i}`,
      params: { i },
    });
    const events = await stream(b, req.id, agent);
    const waiting = call(b, 'GET', `/v1/actions/${req.id}/wait?timeout=30`, agent).then((r) => ({
      r,
      at: performance.now(),
    }));
    // For comparison: a long-poll on the replica that takes the vote.
    const local = call(c, 'GET', `/v1/actions/${req.id}/wait?timeout=30`, agent).then(() =>
      performance.now(),
    );
    await sleep(5); // let both long-polls reach their servers
    const t0 = performance.now();
    await call(c, 'POST', `/v1/actions/${req.id}/votes`, reviewer, { vote: 'approve' });
    const votedAt = performance.now();
    const { r, at } = await waiting;
    const sseAt = await events.approved;
    const localAt = await local;
    if (r.status !== 'approved') throw new Error(`request ${req.id} ended ${r.status}`);
    if (i >= WARMUP) {
      poll.push(at - t0);
      sse.push(sseAt - t0);
      same.push(localAt - t0);
      vote.push(votedAt - t0);
    }
  }
  console.log(
    JSON.stringify({
      name: 'cross_replica_vote_to_waiter',
      replicas: 3,
      long_poll_other_replica: quantiles(poll),
      sse_other_replica: quantiles(sse),
      long_poll_same_replica: quantiles(same),
      // for reference: the vote's own round trip (until its write committed and it answered)
      vote_call: quantiles(vote),
      target_p99_ms: 100,
    }),
  );
} finally {
  for (const r of replicas) await r.stop().catch(() => undefined);
  await db.drop();
  config.remove();
}
