import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from './load-policy.js';
import type { RecordedRequest } from './recorded-requests.js';
import { replayPolicy } from './replay.js';
import { suggestPolicy } from './suggest.js';

const KNOWN = { groups: new Set(['data-owners', 'security']), users: new Set(['alice']) };

const POLICY = `version: 1
rules:
  # exports of customer data
  - id: export
    match: { action: db.export }
    when: params.rows > 10
    require_approval:
      from: [data-owners]
    step_up: web
  - id: grants
    match: { action: iam.grant }
    require_approval: { from: [security] }
    step_up: web
    notify: { slack: { channels: [C0123ABCD], dm: false } }
  - id: restarts
    match: { action: k8s.restart }
    require_approval: { from: [security] }
`;

const LIVE = loadPolicy(POLICY, { file: 'policy.yaml', ...KNOWN });
let n = 0;
function request(
  rule: string,
  action: string,
  resource: string,
  outcome: 'approved' | 'denied',
  agent = 'exporter',
  params: Record<string, number | string> = { rows: 50 },
): RecordedRequest {
  const at = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
  const input = { action, resource, environment: 'production', params };
  // What the live policy recorded: its own approval requirement.
  const live = LIVE.evaluate({ ...input, agent: { id: agent, owners: [] } });
  return {
    id: `act_${n++}`,
    at,
    input: {
      action,
      resource,
      environment: 'production',
      params,
      agent: { id: agent },
    },
    owners: null,
    redacted: false,
    recorded: {
      decision: 'require_approval',
      rules: [rule],
      approval: live.approval ?? null,
      policy_version: '',
    },
    outcome,
    approvers: outcome === 'approved' ? ['alice'] : [],
    denials: outcome === 'denied' ? 1 : 0,
    break_glass: false,
    settled_at: at,
  };
}

const HOSTILE = 'postgres://prod/a"b\'c\n) || true || ("';

test('allows for two patterns under one rule, a deny for an always-denied rule: the result loads and replays as exactly those changes', async () => {
  const log = [
    ...[1, 2].map(() => request('export', 'db.export', 'postgres://prod/orders', 'approved')),
    ...[1, 2].map(() => request('export', 'db.export', HOSTILE, 'approved', 'bot\u202e')),
    request('export', 'db.export', 'postgres://prod/other', 'approved'),
    ...[1, 2].map(() => request('grants', 'iam.grant', 'iam://admin', 'denied')),
    // One denial under the rule: no bounded allow for all of it, patterns only.
    request('export', 'db.export', 'postgres://prod/denied', 'denied'),
  ];
  const result = await suggestPolicy(POLICY, [log], { minApprovals: 2, file: 'policy.yaml' });
  assert.deepEqual(
    result.suggestions.map((s) => [s.kind, s.rule, s.kind === 'allow' ? s.new_rule : '']),
    [
      ['allow', 'export', 'export-allow-1'],
      ['allow', 'export', 'export-allow-2'],
      ['deny', 'grants', ''],
    ],
  );
  const policy = loadPolicy(result.policy, { file: 'suggested.yaml', ...KNOWN });
  assert.equal(policy.rules.find((r) => r.id === 'grants')?.effect, 'deny');
  const report = await replayPolicy(policy, [log], { examples: 10 });
  assert.deepEqual(
    report.changes['allowed-that-needed-approval'].examples.map((e) => e.id),
    log.slice(0, 4).map((r) => r.id),
  );
  assert.equal(report.changes['denied-that-needed-approval'].count, 2);
  assert.equal(report.unchanged, 2);
});

test('one pattern: the edit is textual, every other line of the file is kept byte for byte', async () => {
  const log = [
    ...[1, 2, 3].map(() => request('export', 'db.export', 'postgres://prod/orders', 'approved')),
    request('export', 'db.export', 'postgres://prod/denied', 'denied'),
  ];
  const result = await suggestPolicy(POLICY, [log], { minApprovals: 3, file: 'policy.yaml' });
  const removed = result.diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
  assert.deepEqual(removed, ['-    when: params.rows > 10']);
  assert.match(result.diff, /^\+ {4}when: \(params\.rows > 10\) && !\(agent\.id == "exporter"/m);
  assert.match(result.policy, /# exports of customer data/);
  loadPolicy(result.policy, { file: 'suggested.yaml', ...KNOWN });
});

test('nothing to suggest: the policy and an empty diff come back unchanged', async () => {
  const log = [
    request('export', 'db.export', 'postgres://prod/*', 'approved'),
    request('export', 'db.export', 'postgres://prod/denied', 'denied'),
  ];
  const result = await suggestPolicy(POLICY, [log, log], { minApprovals: 1, file: 'policy.yaml' });
  assert.deepEqual(result.suggestions, []);
  assert.equal(result.policy, POLICY);
  assert.equal(result.diff, '');
});

/** What the suggested policy decides for one new request under the export rule. */
function decide(
  policyText: string,
  resource: string,
  params: Record<string, unknown>,
  action = 'db.export',
  agent = 'exporter',
) {
  const policy = loadPolicy(policyText, { file: 'suggested.yaml', ...KNOWN });
  return policy.evaluate({
    action,
    resource,
    environment: 'production',
    params: params as Record<string, number>,
    agent: { id: agent, owners: [] },
  }).decision;
}

test('a rule always approved unchanged: an allow bounded to the largest rows seen and the few resources seen', async () => {
  const log = [
    request('export', 'db.export', 'postgres://prod/orders', 'approved', 'exporter', { rows: 50 }),
    request('export', 'db.export', 'postgres://prod/orders', 'approved', 'exporter', {
      rows: 20000,
      table: 'orders',
    }),
    request('export', 'db.export', HOSTILE, 'approved', 'exporter', { rows: 12 }),
  ];
  const result = await suggestPolicy(POLICY, [log], { minApprovals: 3, file: 'policy.yaml' });
  assert.equal(result.suggestions.length, 1, 'one rule-wide allow, not one per pattern');
  const [s] = result.suggestions;
  assert.ok(s.kind === 'bounded-allow');
  assert.equal(s.new_rule, 'export-allow-1');
  assert.deepEqual(s.bounds, [{ param: 'rows', max: 20000, min: 0 }], 'table was not a number');
  assert.deepEqual(s.resources, [HOSTILE, 'postgres://prod/orders'].sort());
  assert.deepEqual(s.agents, ['exporter']);
  assert.equal(s.standing_possible, false, 'the rule asks for step-up: no CLI standing approval');
  assert.equal(s.evidence.approvals, 3);
  assert.match(result.diff, /^\+ {4}when: \(params\.rows > 10\) && has\(params\.rows\)/m);
  assert.match(result.diff, /params\.rows <= 20000/);
  // The rule's own match and when stay in the allow: it is narrower than the rule.
  assert.match(result.diff, /^\+ {4}match:\n\+ {6}action: db\.export$/m);
  const p = result.policy;
  assert.equal(decide(p, 'postgres://prod/orders', { rows: 20000 }), 'allow');
  assert.equal(decide(p, HOSTILE, { rows: 11 }), 'allow', 'the hostile resource, as a literal');
  assert.equal(decide(p, 'postgres://prod/orders', { rows: 20001 }), 'require_approval');
  assert.equal(decide(p, 'postgres://prod/other', { rows: 100 }), 'require_approval');
  assert.equal(
    decide(p, 'postgres://prod/orders', { rows: 5 }),
    'deny',
    'default: the live rule needs rows > 10',
  );
  const report = await replayPolicy(loadPolicy(p, { file: 's.yaml', ...KNOWN }), [log], {
    examples: 10,
  });
  assert.equal(report.changes['allowed-that-needed-approval'].count, 3);
});

test('many resources are not pinned; no numbers and many resources: no bounded allow', async () => {
  const many = [1, 2, 3, 4, 5, 6].map((i) =>
    request('export', 'db.export', `postgres://prod/t${i}`, 'approved', 'exporter', {
      rows: 100 * i,
    }),
  );
  const bounded = await suggestPolicy(POLICY, [many], { minApprovals: 6, file: 'policy.yaml' });
  const [s] = bounded.suggestions;
  assert.ok(s.kind === 'bounded-allow');
  assert.equal(s.resources, null);
  assert.deepEqual(s.bounds, [{ param: 'rows', max: 600, min: 0 }]);
  assert.equal(decide(bounded.policy, 'postgres://prod/t9', { rows: 600 }), 'allow');
  const words = [1, 2, 3, 4, 5, 6].map((i) =>
    request('export', 'db.export', `postgres://prod/t${i}`, 'approved', 'exporter', {
      rows: 'many',
    }),
  );
  const none = await suggestPolicy(POLICY, [words], { minApprovals: 1, file: 'policy.yaml' });
  assert.deepEqual(
    none.suggestions.map((x) => x.kind),
    Array(6).fill('allow'),
    'exact patterns only: an allow of everything the rule matches is not suggested',
  );
});

test('a one-reviewer rule without step-up can be a standing approval instead', async () => {
  const log = [1, 2].map(() =>
    request('restarts', 'k8s.restart', 'k8s://prod/api', 'approved', 'deployer', { replicas: 3 }),
  );
  const result = await suggestPolicy(POLICY, [log], { minApprovals: 2, file: 'policy.yaml' });
  const [s] = result.suggestions;
  assert.ok(s.kind === 'bounded-allow');
  assert.equal(s.standing_possible, true);
  assert.equal(
    s.when,
    'has(params.replicas) && type(params.replicas) == double && params.replicas >= 0 && ' +
      'params.replicas <= 3 && resource in ["k8s://prod/api"] && agent.id in ["deployer"]',
  );
  assert.match(result.policy, /- id: restarts-allow-1\n/);
  const restart = (params: Record<string, unknown>) =>
    decide(result.policy, 'k8s://prod/api', params, 'k8s.restart', 'deployer');
  assert.equal(restart({ replicas: 3 }), 'allow');
  // Outside the bounds, or not a number, or absent: the rule asks as before, never a CEL error.
  for (const params of [{ replicas: 4 }, { replicas: -1 }, { replicas: '3' }, {}]) {
    assert.equal(restart(params), 'require_approval', JSON.stringify(params));
  }
});

test('resources CEL cannot write literally, or that a terminal would obey: escaped, or not suggested', async () => {
  const bidi = 'k8s://prod/api\u202e\u2028'; // a bidi override and a line separator
  const approved = (resource: string) =>
    [1, 2].map(() =>
      request('restarts', 'k8s.restart', resource, 'approved', 'deployer', { replicas: 3 }),
    );
  const escaped = await suggestPolicy(POLICY, [approved(bidi)], {
    minApprovals: 2,
    file: 'policy.yaml',
  });
  const [s] = escaped.suggestions;
  assert.ok(s.kind === 'bounded-allow');
  assert.match(s.when, /resource in \["k8s:\/\/prod\/api\\u202e\\u2028"\]/);
  assert.doesNotMatch(escaped.policy, /[\u202e\u2028]/, 'the policy text holds neither');
  const restart = (resource: string) =>
    decide(escaped.policy, resource, { replicas: 3 }, 'k8s.restart', 'deployer');
  assert.equal(restart(bidi), 'allow', 'the escape is the same value');
  assert.equal(restart('k8s://prod/api'), 'require_approval');
  // A lone surrogate has no CEL literal: neither the bounded allow nor the pattern is suggested
  // (the policy would not load), and nothing wider is suggested in their place.
  const lone = await suggestPolicy(POLICY, [approved('k8s://prod/\ud800')], {
    minApprovals: 2,
    file: 'policy.yaml',
  });
  assert.deepEqual(lone.suggestions, []);
  assert.equal(lone.policy, POLICY);
});

test('the standing-approval alternative follows the rule: none under standing: false, at most its max_duration', async () => {
  const withStanding = (standing: string) => `version: 1
rules:
  - id: restarts
    match: { action: k8s.restart }
    require_approval: { from: [security], standing: ${standing} }
`;
  const alternative = async (standing: string, risk?: 'critical') => {
    const text = withStanding(standing);
    const policy = loadPolicy(text, { file: 'policy.yaml', ...KNOWN });
    const log = [1, 2].map(() => {
      const r = request('restarts', 'k8s.restart', 'k8s://prod/api', 'approved', 'deployer', {
        replicas: 3,
      });
      const input = { ...r.input, risk, agent: { id: 'deployer', owners: [] } };
      r.input.risk = risk;
      r.recorded.approval = policy.evaluate(input).approval ?? null;
      return r;
    });
    const [s] = (await suggestPolicy(text, [log], { minApprovals: 2, file: 'policy.yaml' }))
      .suggestions;
    assert.ok(s.kind === 'bounded-allow');
    return { possible: s.standing_possible, for: s.standing_for };
  };
  assert.deepEqual(await alternative('false'), { possible: false, for: null });
  assert.deepEqual(await alternative('{ max_duration: 2h }'), { possible: true, for: '2h' });
  assert.deepEqual(await alternative('{ max_duration: 24h }'), { possible: true, for: '8h' });
  assert.deepEqual(await alternative('{ max_duration: 2h }', 'critical'), {
    possible: false,
    for: null,
  });
});
