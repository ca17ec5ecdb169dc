import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from './load-policy.js';
import { runPolicyTests } from './policy-tests.js';
import { PolicyLoadError } from './policy-load-error.js';

const policy = loadPolicy(
  `
version: 1
rules:
  - id: prod-large-export
    match: { action: db.export, environment: production }
    when: params.rows > 10000
    require_approval: { from: [data-owners], quorum: 2 }
  - id: owner-agents
    match: { action: db.read }
    when: '"bob" in agent.owners && risk != "critical"'
    decision: allow
    reason: bob's agents may read
`,
  { file: 'policy.yaml', groups: new Set(['data-owners']), users: new Set() },
);

test('passing and failing cases are counted; failures carry the actual decision', () => {
  const cases = `
cases:
  - name: big export needs two data owners
    request: { action: db.export, resource: postgres://prod/customers, environment: production, params: { rows: 20000 }, agent: { id: exporter, owners: [bob] } }
    expect: { decision: require_approval, rules: [prod-large-export] }
  - name: unknown actions are denied
    request: { action: iam.role.grant, resource: iam://admin }
    expect: { decision: deny, rules: [], reason_contains: no rule matched }
  - name: bob's agent reads
    request: { action: db.read, resource: x, agent: { id: a, owners: [bob] } }
    expect: { decision: allow, reason_contains: may read }
  - name: wrong on purpose
    request: { action: db.read, resource: x, risk: critical, agent: { id: a, owners: [bob] } }
    expect: { decision: allow, rules: [owner-agents], reason_contains: may read }
  - name: default environment is not production
    request: { action: db.export, resource: x, params: { rows: 20000 } }
    expect: { decision: require_approval }
`;
  const report = runPolicyTests(policy, cases, 'cases.yaml');
  assert.equal(report.passed, 3);
  assert.deepEqual(
    report.failed.map((f) => [f.name, f.line, f.actual.decision]),
    [
      ['wrong on purpose', 12, 'deny'],
      ['default environment is not production', 15, 'deny'],
    ],
  );
  assert.equal(report.failed[0]?.mismatches.length, 3);
  assert.deepEqual(report.failed[0]?.expected, {
    decision: 'allow',
    rules: ['owner-agents'],
    reason_contains: 'may read',
  });
});

test('a malformed cases file is a PolicyLoadError with lines', () => {
  const bad = `cases:
  - name: one
    request: { action: db.read }
    expect: { decision: maybe }
  - name: one
    request: { action: db.read, resource: x, agent: { id: a, owner: [bob] }, params: [1] }
    expec: { decision: deny }
`;
  try {
    runPolicyTests(policy, bad, 'cases.yaml');
    assert.fail('accepted a malformed cases file');
  } catch (e) {
    assert.ok(e instanceof PolicyLoadError);
    assert.equal(e.code, 'policy_invalid');
    const found = e.issues.map((i) => `${i.file}:${i.line} ${i.message}`);
    for (const expected of [
      /cases.yaml:3 request: missing required key "resource"/,
      /cases.yaml:4 expect.decision must be one of/,
      /cases.yaml:5 duplicate case name "one"/,
      /cases.yaml:6 request.agent: unknown key "owner"/,
      /cases.yaml:6 request.params must be a mapping/,
      /cases.yaml:7 case: unknown key "expec"/,
    ]) {
      assert.ok(
        found.some((f) => expected.test(f)),
        `${String(expected)} in\n${found.join('\n')}`,
      );
    }
  }
  assert.throws(() => runPolicyTests(policy, 'cases: [', 'cases.yaml'), PolicyLoadError);
});
