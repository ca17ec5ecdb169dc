import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from './load-policy.js';
import { explainDecision } from './explain.js';

const policy = loadPolicy(
  `
version: 1
rules:
  - id: prod-large-export
    match: { action: db.export, environment: production }
    when: params.rows > 10000
    require_approval:
      from: [data-owners]
      quorum: 2
      escalate: { after: 15m, to: [sre-oncall] }
      justification: required
      break_glass: [alice]
  - id: tiny-exports
    match: { action: db.export }
    when: params.rows < 10
    decision: allow
  - id: flagged
    match: { action: "db.*" }
    when: params.flag
    decision: deny
  - id: other-action
    match: { action: iam.role.grant }
    decision: deny
`,
  {
    file: 'policy.yaml',
    groups: new Set(['data-owners', 'sre-oncall']),
    users: new Set(['alice']),
  },
);

test('the explanation names the decision, the reason, every traced rule and the version', () => {
  const d = policy.evaluate({
    action: 'db.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 20000 },
    agent: { id: 'exporter', owners: [] },
  });
  const text = explainDecision(d);
  assert.equal(d.trace.length, 3);
  assert.match(text, /^decision: deny$/m);
  assert.ok(text.includes(`reason: ${d.reason}`));
  for (const t of d.trace) {
    assert.ok(text.includes(t.rule), `mentions ${t.rule}`);
    assert.ok(text.includes(t.detail), `has the detail of ${t.rule}`);
  }
  assert.match(text, /matched\s+prod-large-export -> require_approval/);
  assert.match(text, /skipped\s+tiny-exports -> allow: .*is false/);
  assert.match(text, /error\s+flagged -> deny: .*failed: field not found: flag/);
  assert.ok(!text.includes('other-action'), 'rules whose globs did not match are not traced');
  assert.ok(text.endsWith(`policy: ${policy.version}`));
});

test('an approval requirement is put in words', () => {
  const d = policy.evaluate({
    action: 'db.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 20000, flag: false },
    agent: { id: 'exporter', owners: [] },
  });
  assert.equal(d.decision, 'require_approval');
  const text = explainDecision(d);
  assert.match(text, /prod-large-export: 2 of data-owners/);
  assert.match(text, /escalates to sre-oncall after 15m/);
  assert.match(text, /break-glass: alice/);
  assert.match(text, /times out after 30m, then deny; a justification is required/);
});

test('a decision with no traced rule says so', () => {
  const text = explainDecision(
    policy.evaluate({
      action: 'x',
      resource: 'y',
      environment: 'z',
      params: {},
      agent: { id: 'a', owners: [] },
    }),
  );
  assert.match(text, /reason: no rule matched; default is deny/);
  assert.match(text, /fit the request: none/);
});
