#!/usr/bin/env node
// A scripted agent (no model): every 20 s it asks the gateway for one realistic privileged
// action, waits for the humans where the policy says so, "performs" the action only once it
// is approved (after checking the grant offline, as a target system would), and reports the
// result. `npm start` runs it beside the demo gateway so the reviewers' inbox is never empty.
//
//   COUNTERSIGN_URL=http://localhost:8080 COUNTERSIGN_TOKEN=csa_… node examples/demo-agent.mjs
//
// COUNTERSIGN_DEPLOY_TOKEN (optional): a second agent for restarts and role grants.
// COUNTERSIGN_DEMO_AGENT_INTERVAL: seconds between requests (default 20).
import { setMaxListeners } from 'node:events';
import { pathToFileURL } from 'node:url';
import { ActionRefused, Countersign, GatewayUnavailable, verifyGrant } from '@countersign/sdk';

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What the agent asks for, in turn; each with what "doing it" prints. */
const SCENARIOS = [
  () => {
    const rows = pick([120, 500, 2400, 8000]);
    return {
      agent: 'copilot',
      spec: {
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        params: { rows, columns: ['id', 'plan', 'region'] },
        justification: `ticket SUP-${1000 + rows}: a customer asked for their account export`,
      },
      work: `exported ${rows} rows`,
    };
  },
  () => {
    const rows = pick([25_000, 50_000, 180_000]);
    return {
      agent: 'copilot',
      spec: {
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        params: { rows, columns: ['id', 'email', 'plan', 'mrr'] },
        justification: 'churn analysis for the Q3 business review',
        risk: 'high',
      },
      work: `exported ${rows.toLocaleString('en')} rows to s3://analytics/churn-q3/`,
    };
  },
  () => ({
    agent: 'copilot',
    spec: {
      action: 'db.ddl.drop_table',
      resource: 'postgres://prod/customers_tmp',
      environment: 'production',
      params: { sql: 'DROP TABLE customers_tmp' },
      justification: 'clean up a temporary table after the migration',
    },
    work: 'dropped customers_tmp',
  }),
  () => {
    const deployment = pick(['payments/api', 'search/indexer', 'billing/worker']);
    return {
      agent: 'deploy',
      spec: {
        action: 'k8s.rollout.restart',
        resource: `k8s://prod/${deployment.replace('/', '/deploy/')}`,
        environment: 'production',
        params: { reason: 'memory climbing since the 14:00 deploy', replicas: 6 },
        justification: 'p95 latency alert OPS-4411',
        risk: 'medium',
      },
      work: `restarted ${deployment}`,
    };
  },
  () => {
    const role = pick(['billing-admin', 'support-lead', 'db-readonly-prod']);
    return {
      agent: 'deploy',
      spec: {
        action: 'iam.role.grant',
        resource: `iam://prod/roles/${role}`,
        environment: 'production',
        params: { user: pick(['sam@example.com', 'kim@example.com']), role, ttl_hours: 8 },
        justification: 'on-call handover for the weekend',
        risk: 'critical',
      },
      work: `granted ${role}`,
    };
  },
];

/**
 * Runs the agent loop until `signal` aborts. Resolves when it has stopped.
 * @param {{ url: string, token: string, deployToken?: string, intervalMs?: number,
 *           maxPending?: number, log?: (line: string) => void, signal?: AbortSignal }} options
 */
export async function runDemoAgent(options) {
  const { url, token, intervalMs = 20_000, maxPending = 30, signal } = options;
  const log = options.log ?? ((line) => console.log(`[demo-agent] ${line}`));
  // Long-polls of a minute (the gateway's maximum): fewer calls for the same wait.
  const clients = {
    copilot: new Countersign({ url, token, pollSeconds: 60 }),
    deploy: new Countersign({ url, token: options.deployToken ?? token, pollSeconds: 60 }),
  };
  // Every waiting request listens on the one stop signal: that many listeners is expected.
  if (signal) setMaxListeners(maxPending * 4 + 10, signal);
  const jwksUrl = `${url.replace(/\/+$/, '')}/.well-known/jwks.json`;
  let inFlight = 0;
  let saidFull = false;
  for (let turn = 0; !signal?.aborted; turn++) {
    if (inFlight >= maxPending) {
      if (!saidFull) log(`${inFlight} requests are waiting for reviewers; not asking for more`);
      saidFull = true;
    } else {
      saidFull = false;
      const { agent, spec, work } = SCENARIOS[turn % SCENARIOS.length]();
      inFlight++;
      ask(clients[agent], spec, work, jwksUrl, log, signal).finally(() => inFlight--);
    }
    await pause(intervalMs, signal);
  }
}

/** Sleeps, but wakes at once when the agent is stopped. */
function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

async function ask(client, spec, work, jwksUrl, log, signal) {
  const what = `${spec.action} ${spec.resource} ${JSON.stringify(spec.params)}`;
  log(`asks: ${what}`);
  try {
    const done = await client.guard(
      spec,
      async ({ grant, record }) => {
        // The target system's side: is this grant genuine, unexpired, and for exactly this?
        const claims = await verifyGrant(grant, { jwksUrl, expect: spec });
        const by = claims.approvers.length > 0 ? claims.approvers.join(', ') : 'policy';
        await sleep(500); // the work itself
        return `${record.id} approved (${by}; grant verified offline): ${work}`;
      },
      {
        signal,
        onProgress: (r) => log(`waits: ${r.id} ${r.reason}`),
      },
    );
    log(done);
  } catch (e) {
    if (e instanceof ActionRefused) log(`refused: ${e.record.id} ${e.message}`);
    else if (e instanceof GatewayUnavailable) log(`not run (gateway unreachable): ${e.message}`);
    else if (!signal?.aborted) log(`error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const token = process.env.COUNTERSIGN_TOKEN;
  if (!token) {
    console.error('set COUNTERSIGN_TOKEN to an agent token (npm start prints them)');
    process.exit(2);
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  // Started by `serve --demo`: stop when the gateway's process is gone, however it ended
  // (its end of our stdin closes then, even on SIGKILL).
  if (process.env.COUNTERSIGN_DEMO_AGENT_LIFELINE === 'stdin') {
    process.stdin.on('close', () => stop.abort());
    process.stdin.on('end', () => stop.abort());
    process.stdin.resume();
  }
  await runDemoAgent({
    url: process.env.COUNTERSIGN_URL ?? 'http://localhost:8080',
    token,
    deployToken: process.env.COUNTERSIGN_DEPLOY_TOKEN,
    intervalMs: Number(process.env.COUNTERSIGN_DEMO_AGENT_INTERVAL ?? 20) * 1000,
    signal: stop.signal,
  });
  // Pending requests are being withdrawn (guard cancels on abort); do not linger for them.
  setTimeout(() => process.exit(0), 2000).unref();
  process.stdin.destroy(); // the lifeline must not keep the process alive
}
