// What the standing-approval check adds to a decision with 1,000 active standing approvals
// (docs/fatigue.md): the policy's decision alone, and the check a submission makes after it
// (StandingApprovals.match: one map lookup by agent, action and environment, then core's
// standingCovers on each candidate) on the same inputs' decisions, interleaved so both see
// the same machine load. The approvals are spread over 50 agents and 200 actions (one per
// agent and action), 30 % with a CEL condition.
// Prints one JSON line: {"name":"standing_approvals_1000","us_evaluate":X,…}
// Run after `npx tsc -b`: node bench/standing-approvals.mjs
import {
  actionDigest,
  celBindings,
  loadPolicy,
  newId,
  standingQuorumMet,
} from '../packages/core/dist/src/index.js';
import { StandingIndex } from '../packages/server/dist/src/actions/standing-index.js';

const FAMILIES = 20;
const VERBS = [
  'create',
  'delete',
  'update',
  'read',
  'export',
  'purge',
  'scale',
  'push',
  'sync',
  'tag',
];
const GROUPS = ['g0', 'g1', 'g2', 'g3', 'g4'];
const AGENTS = Array.from({ length: 50 }, (_, i) => `agent-${i}`);

const rules = [];
for (let f = 0; f < FAMILIES; f++) {
  rules.push(`  - id: fam${f}-large
    match: { action: "fam${f}.*", environment: production }
    when: has(params.rows) && params.rows > 1000
    require_approval: { from: [${GROUPS[f % 5]}], standing: { max_duration: 8h, max_uses: 1000 } }
  - id: fam${f}
    match: { action: "fam${f}.*" }
    require_approval: { from: [${GROUPS[(f + 1) % 5]}] }`);
}
const policy = loadPolicy(
  `version: 1
defaults: { decision: deny }
rules:
${rules.join('\n')}
`,
  { file: 'bench.yaml', groups: new Set(GROUPS), users: new Set() },
);
const users = new Map(GROUPS.map((g) => [`u-${g}`, [g]]));

const now = Date.parse('2026-12-06T12:00:00Z');
const inputOf = (agent, action, rows) => ({
  action,
  resource: `db://prod/${action}`,
  environment: 'production',
  params: { rows, table: 'customers' },
  agent: { id: agent, owners: ['owner'] },
});

// 1,000 active standing approvals, each made from a request the policy sends to people.
const index = new StandingIndex();
const keyed = [];
for (let i = 0; i < 1000; i++) {
  const agent = AGENTS[Math.floor(i / FAMILIES) % AGENTS.length];
  const action = `fam${i % FAMILIES}.${VERBS[Math.floor(i / FAMILIES) % VERBS.length]}`;
  const rows = 2000 + (i % 7) * 1000;
  const input = inputOf(agent, action, rows);
  const decision = policy.evaluate(input);
  if (decision.decision !== 'require_approval') throw new Error(`not an approval: ${action}`);
  const endorsers = [];
  for (const g of new Set(decision.approval.clauses.flatMap((c) => c.from))) {
    endorsers.push({ user: `u-${g}`, groups: [g], channel: 'api', at: now });
  }
  if (!standingQuorumMet(decision.approval, endorsers)) throw new Error('no quorum');
  const rulesOf = [...decision.rules].sort();
  const sa = {
    id: newId('sa', now),
    state: 'active',
    source_action_id: newId('act', now),
    agent_id: agent,
    action,
    environment: 'production',
    rules: rulesOf,
    rule_fingerprints: Object.fromEntries(rulesOf.map((r) => [r, policy.ruleFingerprint(r)])),
    approval: decision.approval,
    scope:
      i % 10 < 3
        ? { kind: 'condition', when: `params.rows <= ${rows} && params.table == "customers"` }
        : { kind: 'digest', digest: actionDigest(input) },
    max_uses: 1_000_000_000,
    uses: 0,
    expires_at: now + 3_600_000,
    created_at: now,
    created_by: endorsers[0].user,
    endorsers,
    revoked_at: null,
    revoked_by: null,
    revoke_reason: null,
  };
  index.put(sa, now);
  keyed.push({ agent, action, rows });
}
if (index.size !== 1000) throw new Error(`index holds ${index.size}`);

// Kinds of submission: no candidate (another agent: the common case), a candidate whose digest
// differs, one covered by a digest or by a condition, a condition that does not hold; and a
// mix: half without a candidate, a quarter covered, a quarter with a digest that differs.
const kinds = {
  none: [],
  digest_miss: [],
  covered_digest: [],
  covered_condition: [],
  condition_miss: [],
};
for (let i = 0; i < 1000; i++) {
  const k = keyed[(i * 7) % keyed.length];
  const cond = ((i * 7) % keyed.length) % 10 < 3;
  const sameRows = 2000 + (((i * 7) % keyed.length) % 7) * 1000;
  kinds.none.push(inputOf(`other-${i % 13}`, k.action, 5000));
  (cond ? kinds.covered_condition : kinds.covered_digest).push(
    inputOf(k.agent, k.action, sameRows),
  );
  if (!cond) kinds.digest_miss.push(inputOf(k.agent, k.action, sameRows + 1));
  else kinds.condition_miss.push(inputOf(k.agent, k.action, sameRows + 1));
}
kinds.mix = kinds.none
  .slice(0, 500)
  .concat(
    kinds.covered_digest.slice(0, 175),
    kinds.covered_condition.slice(0, 75),
    kinds.digest_miss.slice(0, 250),
  );

let covered = 0;
const evaluateOnly = (inputs) => () => {
  for (const { input } of inputs) policy.evaluate(input);
};
// The check alone, on decisions made beforehand: what a submission adds to its decision.
const standingOnly = (inputs) => () => {
  for (const { input, digest, decision } of inputs) {
    if (decision.decision !== 'require_approval') continue;
    // What StandingApprovals.match does per submission.
    const world = {
      fingerprint: (r) => policy.ruleFingerprint(r),
      groupsOf: (u) => users.get(u),
      agentOwners: input.agent.owners,
      now,
    };
    const hit = index.match(
      {
        agent_id: input.agent.id,
        action: input.action,
        environment: input.environment,
        digest,
        risk: input.risk,
        on_behalf_of: input.on_behalf_of,
      },
      decision.rules,
      () => celBindings(input),
      world,
    );
    if (hit) covered++;
  }
};

const ROUNDS = 7;
const REPEAT = 100;
const time = (f, n) => {
  const start = process.hrtime.bigint();
  for (let r = 0; r < REPEAT; r++) f();
  return Number(process.hrtime.bigint() - start) / 1e3 / (REPEAT * n);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x) => Math.round(x * 100) / 100;
const out = { name: 'standing_approvals_1000', target_us_added: 5 };
for (const [kind, list] of Object.entries(kinds)) {
  const inputs = list.map((input) => ({
    input,
    digest: actionDigest(input),
    decision: policy.evaluate(input),
  }));
  const a = evaluateOnly(inputs);
  const b = standingOnly(inputs);
  time(a, inputs.length);
  time(b, inputs.length); // warm-up
  covered = 0;
  const alone = [];
  const check = [];
  for (let r = 0; r < ROUNDS; r++) {
    alone.push(time(a, inputs.length));
    check.push(time(b, inputs.length));
  }
  out[`us_evaluate_${kind}`] = round(median(alone));
  out[`us_added_${kind}`] = round(median(check));
  out[`covered_share_${kind}`] = round(covered / (ROUNDS * REPEAT * inputs.length));
}
console.log(JSON.stringify(out));
