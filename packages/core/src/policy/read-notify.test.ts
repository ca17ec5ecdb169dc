import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from './load-policy.js';
import { PolicyLoadError } from './policy-load-error.js';

const known = { file: 'policy.yaml', groups: new Set(['data-owners']), users: new Set<string>() };
const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
const input = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: {},
  agent: { id: 'exporter', owners: [] },
};

function issues(source: string): string[] {
  try {
    loadPolicy(source, known);
  } catch (e) {
    assert.ok(e instanceof PolicyLoadError, String(e));
    return e.issues.map((i) => `${i.line}:${i.column} ${i.message}`);
  }
  assert.fail('the policy loaded');
}

test('step_up and notify.slack reach the approval clause of the decision', () => {
  const policy = loadPolicy(
    yaml(
      'version: 1',
      'rules:',
      '  - id: exports',
      '    match: { action: db.export }',
      '    require_approval: { from: [data-owners] }',
      '    step_up: web',
      '    notify: { slack: { channels: [C0123ABCD, "#data-approvals"], dm: true } }',
    ),
    known,
  );
  const decision = policy.evaluate(input);
  assert.equal(decision.decision, 'require_approval');
  const [clause] = decision.approval?.clauses ?? [];
  assert.equal(clause?.step_up, 'web');
  assert.deepEqual(clause?.notify, {
    slack: { channels: ['C0123ABCD', '#data-approvals'], dm: true },
  });
});

test('a rule without step_up or notify keeps the clause shape it always had', () => {
  const policy = loadPolicy(
    yaml(
      'version: 1',
      'rules:',
      '  - id: exports',
      '    match: { action: db.export }',
      '    require_approval: { from: [data-owners] }',
    ),
    known,
  );
  const [clause] = policy.evaluate(input).approval?.clauses ?? [];
  assert.ok(clause && !('step_up' in clause) && !('notify' in clause));
});

test('bad step_up and notify values are load errors at their line', () => {
  const found = issues(
    yaml(
      'version: 1',
      'rules:',
      '  - id: a',
      '    require_approval: { from: [data-owners] }',
      '    step_up: sms',
      '    notify: { slack: { channels: [general, "#Bad Name", C0123ABCD, C0123ABCD] } }',
      '  - id: b',
      '    require_approval: { from: [data-owners] }',
      '    notify: { teams: { channels: [x] } }',
      '  - id: c',
      '    require_approval: { from: [data-owners] }',
      '    notify: { slack: { dm: "yes" } }',
      '  - id: d',
      '    require_approval: { from: [data-owners] }',
      '    notify: { slack: {} }',
    ),
  );
  const has = (line: number, pattern: RegExp) =>
    assert.ok(
      found.some((f) => f.startsWith(`${line}:`) && pattern.test(f)),
      `no ${String(pattern)} on line ${line}:\n${found.join('\n')}`,
    );
  has(5, /step_up must be one of web, got "sms"/);
  has(6, /"general" is not a Slack channel id/);
  has(6, /"#Bad Name" is not a Slack channel id/);
  has(6, /lists "C0123ABCD" twice/);
  has(9, /unknown key "teams"/);
  has(12, /notify.slack.dm must be true or false/);
  has(15, /notify.slack needs channels, or dm: true/);
});

test('step_up and notify on a rule that does not require approval are errors', () => {
  const found = issues(
    yaml(
      'version: 1',
      'rules:',
      '  - id: a',
      '    decision: allow',
      '    step_up: web',
      '    notify: { slack: { channels: [C0123ABCD] } }',
    ),
  );
  assert.ok(found.some((f) => /^5:.*step_up applies only to a rule with require_approval/.test(f)));
  assert.ok(found.some((f) => /^6:.*notify applies only to a rule with require_approval/.test(f)));
});
