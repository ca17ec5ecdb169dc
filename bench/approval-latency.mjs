// From the vote that completes a quorum to the waiting agent's long-poll returning the grant:
// p50 and p99 over 1,000 requests, one at a time, against a gateway in its own process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const N = Number(process.env.BENCH_APPROVALS ?? 1000);
const child = spawn(
  process.execPath,
  [new URL('./servers.mjs', import.meta.url).pathname, 'gateway'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const [line] = await once(createInterface({ input: child.stdout }), 'line');
const { url, token, reviewer } = JSON.parse(line);

async function call(method, path, bearer, body) {
  // global fetch keeps connections alive between calls
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

const latencies = [];
let grants = 0;
try {
  for (let i = 0; i < N + 50; i++) {
    const req = await call('POST', '/v1/actions', token, {
      action: 'latency.approve',
      resource: `r://${i}`,
      params: { i },
    });
    const waiting = call('GET', `/v1/actions/${req.id}/wait?timeout=30`, token);
    await new Promise((r) => setTimeout(r, 2)); // let the long-poll reach the server first
    const t0 = performance.now();
    await call('POST', `/v1/actions/${req.id}/votes`, reviewer, { vote: 'approve' });
    const done = await waiting;
    const ms = performance.now() - t0;
    if (done.status !== 'approved') throw new Error(`request ${req.id} ended ${done.status}`);
    if (i >= 50) {
      latencies.push(ms); // the first 50 are warm-up
      if (done.grant) grants++;
    }
  }
} finally {
  child.kill('SIGTERM');
}
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(
  JSON.stringify({
    name: 'vote_to_grant_latency',
    requests: latencies.length,
    with_grant: grants,
    p50_ms: Number(q(0.5).toFixed(2)),
    p99_ms: Number(q(0.99).toFixed(2)),
    max_ms: Number(latencies.at(-1).toFixed(2)),
    target_p99_ms: 20,
  }),
);
