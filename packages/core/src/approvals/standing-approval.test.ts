import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileStandingCondition,
  judgeStandingEndorsement,
  judgeStandingProposal,
  standingCovers,
  standingInvalidation,
  standingLimits,
  type ProposalCase,
  type StandingApproval,
} from './standing-approval.js';
import type { ApprovalClause, ApprovalRequirement, PolicyInput } from '../policy/types.js';
import { celBindings } from '../policy/cel.js';
import { loadPolicy } from '../policy/load-policy.js';
import { isPolicyLoadError } from '../policy/policy-load-error.js';

const NOW = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const clause = (c: Partial<ApprovalClause> = {}): ApprovalClause => ({
  rule: 'export',
  from: ['data-owners'],
  groups: [],
  quorum: 1,
  break_glass: [],
  ...c,
});
const requirement = (...clauses: ApprovalClause[]): ApprovalRequirement => ({
  clauses: clauses.length ? clauses : [clause()],
  timeout_ms: 60_000,
  on_timeout: 'deny',
  justification_required: false,
});
const input: PolicyInput = {
  action: 'db.export',
  resource: 'pg://x',
  environment: 'production',
  params: { rows: 500 },
  agent: { id: 'exporter', owners: ['bob'] },
};
const alice = { id: 'alice', groups: ['data-owners'] };
const propose = (c: Partial<ProposalCase> = {}) =>
  judgeStandingProposal({
    record: {
      approval: requirement(),
      risk: null,
      digest: 'sha256:aa',
      decision: 'require_approval',
    },
    input,
    voter: alice,
    channel: 'api',
    ask: { kind: 'digest', uses: 3 },
    policyChanged: false,
    now: NOW,
    ...c,
  });
const refusedWith = (v: { ok: boolean; code?: string }, code: string) => {
  assert.equal(v.ok, false);
  assert.equal(v.code, code);
};

test('limits: defaults, explicit, false, and step_up: web forbids unless explicit', () => {
  assert.deepEqual(standingLimits(clause()), { max_ms: 8 * HOUR, max_uses: 100, critical: false });
  assert.equal(standingLimits(clause({ standing: null })), null);
  assert.equal(standingLimits(clause({ step_up: 'web' })), null);
  const explicit = { max_ms: HOUR, max_uses: 5, critical: true };
  assert.deepEqual(standingLimits(clause({ step_up: 'web', standing: explicit })), explicit);
});

test('proposal: within the smallest limits of every clause', () => {
  const v = propose();
  assert.deepEqual(v, {
    ok: true,
    scope: { kind: 'digest', digest: 'sha256:aa' },
    max_uses: 3,
    expires_at: NOW + 8 * HOUR,
  });
  const two = requirement(
    clause(),
    clause({ rule: 'b', standing: { max_ms: HOUR, max_uses: 2, critical: false } }),
  );
  refusedWith(
    propose({ record: { approval: two, risk: null, digest: 'x', decision: 'require_approval' } }),
    'standing_not_allowed',
  );
  const ok = propose({
    record: { approval: two, risk: null, digest: 'x', decision: 'require_approval' },
    ask: { kind: 'condition', when: 'params.rows <= 1000', for_ms: HOUR },
  });
  assert.equal(ok.ok, true);
  assert.equal(ok.ok && ok.max_uses, 2, 'the smallest max_uses');
  refusedWith(
    propose({ ask: { kind: 'condition', when: 'true', for_ms: 8 * HOUR + 1 } }),
    'standing_not_allowed',
  );
});

test('proposal refusals: forbidden rule, step-up, critical, escalation, policy changed, bad CEL', () => {
  refusedWith(
    propose({
      record: {
        approval: requirement(clause({ standing: null })),
        risk: null,
        digest: 'x',
        decision: 'require_approval',
      },
    }),
    'standing_not_allowed',
  );
  const stepUp = requirement(clause({ step_up: 'web' }));
  const rec = (approval: ApprovalRequirement, risk: 'critical' | null = null) => ({
    approval,
    risk,
    digest: 'x',
    decision: 'require_approval' as const,
  });
  refusedWith(propose({ record: rec(stepUp), channel: 'web' }), 'standing_not_allowed');
  const explicit = requirement(
    clause({ step_up: 'web', standing: { max_ms: HOUR, max_uses: 5, critical: false } }),
  );
  refusedWith(propose({ record: rec(explicit), channel: 'api' }), 'standing_not_allowed');
  assert.equal(propose({ record: rec(explicit), channel: 'web' }).ok, true);
  refusedWith(propose({ record: rec(requirement(), 'critical') }), 'standing_not_allowed');
  const critical = requirement(clause({ standing: { max_ms: HOUR, max_uses: 5, critical: true } }));
  assert.equal(propose({ record: rec(critical, 'critical') }).ok, true);
  refusedWith(propose({ voter: { id: 'carol', groups: ['sre-oncall'] } }), 'standing_not_allowed');
  refusedWith(propose({ policyChanged: true }), 'standing_not_allowed');
  refusedWith(
    propose({ ask: { kind: 'condition', when: 'parms.rows < 1', for_ms: HOUR } }),
    'invalid_request',
  );
  refusedWith(
    propose({ ask: { kind: 'condition', when: 'params.rows > 1000', for_ms: HOUR } }),
    'invalid_request',
  );
  refusedWith(
    propose({ ask: { kind: 'condition', when: 'x'.repeat(1025), for_ms: HOUR } }),
    'invalid_request',
  );
});

test('a condition must constrain resource or params, or it is a blanket pass', () => {
  for (const when of [
    'true',
    '1 == 1',
    'agent.id == "x"',
    'risk != "critical"',
    '[1].all(params, true)',
    '[1].exists(resource, resource == 1)',
  ]) {
    refusedWith(propose({ ask: { kind: 'condition', when, for_ms: HOUR } }), 'invalid_request');
    assert.equal(compileStandingCondition(when).ok, false, when);
  }
  for (const when of ['params.rows <= 1000', 'resource.startsWith("pg://")', 'has(params.rows)']) {
    assert.equal(compileStandingCondition(when).ok, true, when);
  }
});

const sa = (s: Partial<StandingApproval> = {}): StandingApproval => ({
  id: 'sa_1',
  state: 'active',
  source_action_id: 'act_1',
  agent_id: 'exporter',
  action: 'db.export',
  environment: 'production',
  rules: ['export'],
  rule_fingerprints: { export: 'sha256:fp' },
  approval: requirement(),
  scope: { kind: 'condition', when: 'params.rows <= 1000' },
  max_uses: 2,
  uses: 0,
  expires_at: NOW + HOUR,
  created_at: NOW,
  created_by: 'alice',
  endorsers: [{ user: 'alice', groups: ['data-owners'], channel: 'api', at: NOW }],
  revoked_at: null,
  revoked_by: null,
  revoke_reason: null,
  ...s,
});
const directory = new Map<string, string[]>([
  ['alice', ['data-owners']],
  ['frank', ['data-owners']],
]);
const covers = (
  s: Partial<StandingApproval>,
  r: Partial<PolicyInput> & { digest?: string } = {},
  now = NOW,
) => {
  const req = { ...input, ...r };
  return standingCovers({
    sa: sa(s),
    request: {
      agent_id: req.agent.id,
      action: req.action,
      environment: req.environment,
      digest: r.digest ?? 'sha256:aa',
      risk: req.risk,
      on_behalf_of: req.on_behalf_of,
    },
    rules: ['export'],
    bindings: () => celBindings(req),
    world: {
      fingerprint: (rule) => (rule === 'export' ? 'sha256:fp' : undefined),
      groupsOf: (u) => directory.get(u),
      agentOwners: req.agent.owners,
      now,
    },
  });
};

test('covers: only inside its scope, while active, with uses left, before expiry', () => {
  assert.equal(covers({}), true);
  assert.equal(covers({}, { params: { rows: 1001 } }), false, 'CEL false');
  assert.equal(covers({}, { params: {} }), false, 'CEL error is no match');
  assert.equal(covers({}, { agent: { id: 'other', owners: [] } }), false, 'another agent');
  assert.equal(covers({}, { environment: 'staging' }), false, 'another environment');
  assert.equal(covers({}, { action: 'db.import' }), false, 'another action');
  assert.equal(covers({}, {}, NOW + HOUR), false, 'expired');
  assert.equal(covers({ state: 'revoked' }), false, 'revoked');
  assert.equal(covers({ state: 'proposed' }), false, 'proposed');
  assert.equal(covers({ uses: 2 }), false, 'used up');
  assert.equal(covers({ rule_fingerprints: { export: 'sha256:old' } }), false, 'rule changed');
  assert.equal(covers({ rules: ['export', 'other'] }), false, 'other rule set');
  assert.equal(covers({}, { on_behalf_of: 'alice' }), false, 'an endorser is a party');
  assert.equal(covers({}, { agent: { id: 'exporter', owners: ['alice'] } }), false, 'now owns it');
  assert.equal(covers({}, { risk: 'critical' }), false, 'critical by default');
  const digest = { scope: { kind: 'digest' as const, digest: 'sha256:aa' } };
  assert.equal(covers(digest), true);
  assert.equal(covers(digest, { digest: 'sha256:bb' }), false, 'other params');
  const gone = [{ user: 'zed', groups: ['data-owners'], channel: 'api' as const, at: NOW }];
  assert.equal(covers({ endorsers: gone }), false, 'endorser left the directory');
});

test('covers never lowers a quorum: two needed, two distinct current members', () => {
  const two = requirement(clause({ quorum: 2 }));
  const one = sa().endorsers;
  assert.equal(covers({ approval: two, endorsers: one }), false);
  const both = [
    ...one,
    { user: 'frank', groups: ['data-owners'], channel: 'api' as const, at: NOW },
  ];
  assert.equal(covers({ approval: two, endorsers: both }), true);
  const dup = [...one, ...one];
  assert.equal(covers({ approval: two, endorsers: dup }), false, 'one human counts once');
});

test('endorsement: separation of duties, eligibility, once per person, activation', () => {
  const proposed = sa({ state: 'proposed', approval: requirement(clause({ quorum: 2 })) });
  const parties = { agent_id: 'exporter', agent_owners: ['bob'], on_behalf_of: null };
  const endorse = (endorser: { id: string; groups: string[] }, s = proposed) =>
    judgeStandingEndorsement({ sa: s, endorser, channel: 'api', parties, now: NOW });
  refusedWith(endorse({ id: 'bob', groups: ['data-owners'] }), 'self_approval_forbidden');
  refusedWith(endorse({ id: 'mallory', groups: [] }), 'not_eligible');
  refusedWith(endorse(alice), 'already_voted');
  const ok = endorse({ id: 'frank', groups: ['data-owners'] });
  assert.equal(ok.ok && ok.activates, true);
  refusedWith(endorse({ id: 'frank', groups: ['data-owners'] }, sa()), 'already_decided');
  refusedWith(
    endorse({ id: 'frank', groups: ['data-owners'] }, { ...proposed, expires_at: NOW }),
    'request_expired',
  );
});

test('endorsing: not through an escalation group, not as the person acted for, no admin pass', () => {
  const approval = requirement(
    clause({ quorum: 2, escalate: { after_ms: HOUR, to: ['sre-oncall'] } }),
  );
  const proposed = sa({ state: 'proposed', approval });
  const parties = { agent_id: 'exporter', agent_owners: ['bob'], on_behalf_of: 'frank' };
  const endorse = (endorser: { id: string; groups: string[]; admin?: boolean }) =>
    judgeStandingEndorsement({ sa: proposed, endorser, channel: 'api', parties, now: NOW });
  // The escalation group may vote on an escalated request, never stand behind future ones.
  refusedWith(endorse({ id: 'carol', groups: ['sre-oncall'] }), 'not_eligible');
  refusedWith(endorse({ id: 'root', groups: [], admin: true }), 'not_eligible');
  refusedWith(endorse({ id: 'frank', groups: ['data-owners'] }), 'self_approval_forbidden');
  const ok = endorse({ id: 'erin', groups: ['data-owners'] });
  assert.equal(ok.ok && ok.activates, true);
});

test('invalidation: a changed or removed rule (policy), a departed endorser (directory)', () => {
  const world = {
    fingerprint: (rule: string) => (rule === 'export' ? 'sha256:fp' : undefined),
    groupsOf: (u: string) => directory.get(u),
  };
  assert.equal(standingInvalidation(sa(), world), undefined);
  assert.equal(
    standingInvalidation(sa({ rule_fingerprints: { export: 'x' } }), world)?.by,
    'policy',
  );
  assert.equal(standingInvalidation(sa({ rules: ['gone'] }), world)?.by, 'policy');
  const moved = [{ user: 'frank', groups: ['data-owners'], channel: 'api' as const, at: NOW }];
  assert.equal(
    standingInvalidation(sa({ endorsers: moved }), { ...world, groupsOf: () => ['other'] })?.by,
    'directory',
  );
});

test('policy: the standing block is read, checked, and part of the rule fingerprint', () => {
  const names = { file: 'p.yaml', groups: new Set(['data-owners']), users: new Set<string>() };
  const doc = (standing: string, extra = '') => `version: 1
rules:${extra}
  - id: export
    match: { action: db.export }
    require_approval:
      from: [data-owners]${standing}
`;
  const plain = loadPolicy(doc(''), names);
  const moved = loadPolicy(
    doc('', '\n  - id: other\n    match: { action: x }\n    decision: deny'),
    names,
  );
  assert.equal(plain.ruleFingerprint('export'), moved.ruleFingerprint('export'), 'another rule');
  const limited = loadPolicy(doc('\n      standing: { max_duration: 1h, max_uses: 3 }'), names);
  assert.notEqual(limited.ruleFingerprint('export'), plain.ruleFingerprint('export'));
  const d = limited.evaluate(input);
  assert.deepEqual(d.approval?.clauses[0]?.standing, {
    max_ms: HOUR,
    max_uses: 3,
    critical: false,
  });
  assert.equal(
    plain.evaluate(input).approval?.clauses[0]?.standing,
    undefined,
    'stored shape kept',
  );
  const off = loadPolicy(doc('\n      standing: false'), names);
  assert.equal(off.evaluate(input).approval?.clauses[0]?.standing, null);
  for (const bad of [
    'standing: { max_duration: 31d }',
    'standing: { max_uses: 0 }',
    'standing: { critical: yes }',
    'standing: { forever: true }',
  ]) {
    assert.throws(
      () => loadPolicy(doc(`\n      ${bad}`), names),
      (e: unknown) => isPolicyLoadError(e),
      bad,
    );
  }
});
