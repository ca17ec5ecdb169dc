// `countersign policy replay` at scale: 1,000,000 recorded requests (an audit export's
// entries.jsonl, ~3.4M entries: submissions, decisions, votes, outcomes) replayed against a
// candidate edit of the 100-rule policy, streamed from disk as the CLI does it.
// Prints one JSON line: {"name":"policy_replay_1m","seconds":X,...}
// Run after `npx tsc -b`: node bench/policy-replay.mjs [requests]
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHANGE_KINDS,
  jsonlLines,
  recordedRequests,
  replayPolicy,
} from '../packages/core/dist/src/index.js';
import { candidate, inputs, policy } from './hundred-rule-policy.mjs';

const N = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'countersign-replay-bench-'));
const file = join(dir, 'entries.jsonl');

// The directory: each agent's owners (the log does not record them, so replay looks them up).
const owners = new Map();
for (const x of inputs) if (!owners.has(x.agent.id)) owners.set(x.agent.id, x.agent.owners);

// The log, as the live policy decided it.
const generated = Date.now();
const out = createWriteStream(file);
let index = 0;
let t = Date.UTC(2026, 0, 1);
const write = (type, actor, id, data) =>
  out.write(
    `${JSON.stringify({ actor, at: new Date((t += 10)).toISOString(), data, index: index++, prev: null, request_id: id, type, v: 1 })}\n`,
  );
for (let i = 0; i < N; i++) {
  const x = inputs[i % inputs.length];
  const input = { ...x, agent: { id: x.agent.id, owners: owners.get(x.agent.id) } };
  const id = `act_${i}`;
  const agent = { kind: 'agent', id: input.agent.id };
  const d = policy.evaluate(input);
  write('action.submitted', agent, id, {
    action: input.action,
    context: null,
    digest: 'sha256:00',
    environment: input.environment,
    idempotency_key: null,
    justification: null,
    on_behalf_of: null,
    params: input.params,
    resource: input.resource,
    risk: input.risk ?? null,
  });
  const ok = write('action.decided_by_policy', agent, id, {
    approval: d.approval ?? null,
    decision: d.decision,
    expires_at: null,
    grant: null,
    policy_version: d.policy_version,
    reason: d.reason,
    rules: d.rules,
    status: d.decision === 'allow' ? 'approved' : d.decision === 'deny' ? 'denied' : 'pending',
  });
  if (d.decision === 'require_approval') {
    const user = { kind: 'user', id: `reviewer-${i % 5}` };
    write('action.vote_counted', user, id, {
      break_glass: false,
      channel: 'web',
      comment: null,
      evidence: null,
      groups: ['data-owners'],
      vote: 'approve',
    });
    write('action.approved', user, id, { reason: 'approved', status: 'approved' });
  }
  if (!ok) await new Promise((resolve) => out.once('drain', resolve));
}
await new Promise((resolve) => out.end(resolve));
const generatedSeconds = (Date.now() - generated) / 1000;

const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
const report = await replayPolicy(
  candidate,
  recordedRequests(jsonlLines(createReadStream(file, { highWaterMark: 1 << 20 }))),
  { owners: (id) => owners.get(id) ?? [] },
);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
// CPU time too: on a shared machine the wall clock also measures the neighbours.
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
rmSync(dir, { recursive: true, force: true });
if (report.requests !== N) throw new Error(`replayed ${report.requests} of ${N} requests`);
const changes = Object.fromEntries(
  CHANGE_KINDS.filter((k) => report.changes[k].count > 0).map((k) => [k, report.changes[k].count]),
);
console.log(
  JSON.stringify({
    name: 'policy_replay_1m',
    requests: N,
    entries: index,
    seconds: Math.round(seconds * 10) / 10,
    cpu_seconds: Math.round(cpuSeconds * 10) / 10,
    requests_per_s: Math.round(N / seconds),
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    generated_s: Math.round(generatedSeconds * 10) / 10,
    changes,
  }),
);
