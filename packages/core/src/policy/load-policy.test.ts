import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from './load-policy.js';
import { PolicyLoadError } from './policy-load-error.js';
import type { CompiledPolicy } from './compiled-policy.js';

const groups = new Set(['data-owners', 'security', 'sre-oncall']);
const users = new Set(['alice', 'bob']);
const load = (source: string): CompiledPolicy =>
  loadPolicy(source, { file: 'policy.yaml', groups, users });
/** Joins lines so a test can see which line number each one has (index + 1). */
const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

/** The issues of a policy that must not load, as `line:column message`. */
function issues(source: string): string[] {
  try {
    load(source);
  } catch (e) {
    assert.ok(e instanceof PolicyLoadError, String(e));
    assert.equal(e.code, 'policy_invalid');
    for (const i of e.issues)
      assert.ok(e.message.includes(`policy.yaml:${i.line}:${i.column}: ${i.message}`));
    return e.issues.map((i) => `${i.line}:${i.column} ${i.message}`);
  }
  assert.fail('the policy loaded');
}

function assertIssue(found: string[], line: number, pattern: RegExp): void {
  assert.ok(
    found.some((f) => f.startsWith(`${line}:`) && pattern.test(f)),
    `no issue matching ${String(pattern)} on line ${line} in:\n${found.join('\n')}`,
  );
}

const valid = yaml(
  'version: 1',
  'rules:',
  '  - id: ok',
  '    match: { action: db.query }',
  '    decision: allow',
);

test('a YAML syntax error is reported at its line', () => {
  const found = issues(
    yaml(
      'version: 1',
      'rules:',
      '  - id: a',
      '    match: { action: db.query',
      '    decision: allow',
    ),
  );
  assert.ok(found.length >= 1);
  assert.ok(Number(found[0]?.split(':')[0]) >= 4, found.join('\n'));
});

test('an unknown key (a typo) is an error with a suggestion', () => {
  const found = issues(
    yaml(
      'version: 1',
      'rules:',
      '  - id: export',
      '    match: { action: db.export }',
      '    requre_approval: { from: [data-owners] }',
    ),
  );
  assertIssue(found, 5, /unknown key "requre_approval" \(did you mean "require_approval"\?\)/);
  assertIssue(found, 3, /needs either decision .* or require_approval/);
  assertIssue(
    issues(yaml('version: 1', 'rules: []', 'default: { decision: allow }')),
    3,
    /unknown key "default"/,
  );
  assertIssue(
    issues(
      yaml('version: 1', 'rules:', '  - id: a', '    match: { acton: x }', '    decision: deny'),
    ),
    4,
    /unknown key "acton"/,
  );
});

test('unknown groups, escalation groups and break-glass users are errors on their own lines', () => {
  const found = issues(
    yaml(
      'version: 1',
      'rules:',
      '  - id: export',
      '    require_approval:',
      '      from:',
      '        - data-owners',
      '        - { group: data-ownrs, min: 1 }',
      '      escalate: { after: 10m, to: [sre] }',
      '      break_glass:',
      '        - alice',
      '        - mallory',
    ),
  );
  assertIssue(found, 7, /unknown group "data-ownrs" \(did you mean "data-owners"\?\)/);
  assertIssue(found, 8, /unknown group "sre"/);
  assertIssue(found, 11, /unknown user "mallory"/);
  assert.equal(found.length, 3, found.join('\n'));
});

test('a CEL syntax error points into the condition; an unknown variable too', () => {
  const found = issues(
    yaml(
      'version: 1',
      'rules:',
      '  - id: big',
      '    when: params.rows > 10000 &&',
      '    decision: deny',
      '  - id: typo',
      '    when: \'action == "x" && parms.rows > 1\'',
      '    decision: deny',
    ),
  );
  assertIssue(found, 4, /rule "big": when: syntax error/);
  // `parms` is character 18 of the condition; the quote is column 11.
  assert.ok(
    found.includes(
      '7:29 rule "typo": when: unknown variable "parms" (known: action, resource, environment, params, risk, justification, on_behalf_of, context, agent)',
    ),
    found.join('\n'),
  );
});

test('duplicate ids, both decision and require_approval, bad durations', () => {
  const found = issues(
    yaml(
      'version: 1',
      'defaults:',
      '  approval: { timeout: 30 }',
      'rules:',
      '  - id: a',
      '    decision: allow',
      '  - id: a',
      '    decision: deny',
      '  - id: both',
      '    decision: allow',
      '    require_approval: { from: [security], timeout: 1h30 }',
      '  - id: long-escalation',
      '    require_approval: { from: [security], timeout: 10m, escalate: { after: 10m, to: [sre-oncall] } }',
    ),
  );
  assertIssue(found, 3, /defaults.approval.timeout must be a duration/);
  assertIssue(found, 7, /duplicate rule id "a" \(first defined at line 5\)/);
  assertIssue(found, 10, /has both decision and require_approval/);
  assertIssue(found, 11, /timeout must be a duration .* got "1h30"/);
  assertIssue(
    found,
    13,
    /escalate.after \(10m\) must be shorter than the approval timeout \(10m\)/,
  );
});

test('wrong types and values are errors', () => {
  const found = issues(
    yaml(
      'version: 2',
      'defaults: { decision: require_approval, approval: { on_timeout: allow } }',
      'redact: [parms.password]',
      'rules:',
      '  - id: a',
      '    match: { action: [] }',
      '    when: true',
      '    decision: maybe',
      '  - id: b',
      '    require_approval: { from: [security], quorum: 0, justification: yes }',
      '  - id: c',
      '    require_approval: { from: [{ group: security, min: 2 }, { group: data-owners, min: 1 }], quorum: 2 }',
      '  - id: d',
      '    require_approval: { from: [security, security] }',
      '  - id: "bad id!"',
      '    decision: deny',
      '  - just a string',
    ),
  );
  assertIssue(found, 1, /version must be 1/);
  assertIssue(found, 2, /defaults.decision must be one of deny, allow/);
  assertIssue(found, 2, /on_timeout must be deny/);
  assertIssue(found, 3, /redact: "parms.password"/);
  assertIssue(found, 6, /match.action must not be empty/);
  assertIssue(found, 7, /when \(a CEL expression\) must be a string/);
  assertIssue(found, 8, /decision must be one of allow, deny/);
  assertIssue(found, 10, /quorum must be a whole number ≥ 1/);
  assertIssue(found, 10, /justification must be one of required, optional/);
  assertIssue(found, 12, /quorum \(2\) is less than the sum of the group minimums \(3\)/);
  assertIssue(found, 14, /"security" is listed twice/);
  assertIssue(found, 15, /rule id "bad id!" must be/);
  assertIssue(found, 17, /rule must be a mapping/);
  assertIssue(issues(yaml('rules: []')), 1, /missing required key "version"/);
  assertIssue(issues(''), 1, /policy must be a mapping/);
});

test('require_approval is normalised: pool, minimums and default quorum', () => {
  const policy = load(
    yaml(
      'version: 1',
      'defaults: { approval: { timeout: 2h } }',
      'rules:',
      '  - id: plain',
      '    require_approval: { from: [data-owners, security] }',
      '  - id: mins',
      '    require_approval: { from: [{ group: data-owners, min: 1 }, { group: security, min: 2 }] }',
      '  - id: mixed',
      '    require_approval: { from: [sre-oncall, { group: security }], quorum: 3, timeout: 1h30m, justification: required, break_glass: [alice] }',
    ),
  );
  const [plain, mins, mixed] = policy.rules.map((r) => r.approval);
  assert.deepEqual(plain?.from, ['data-owners', 'security']);
  assert.deepEqual(plain?.groups, [
    { group: 'data-owners', min: 0 },
    { group: 'security', min: 0 },
  ]);
  assert.equal(plain?.quorum, 1);
  assert.equal(plain?.timeout_ms, undefined);
  assert.equal(mins?.quorum, 3);
  assert.deepEqual(mixed?.groups, [
    { group: 'sre-oncall', min: 0 },
    { group: 'security', min: 1 },
  ]);
  assert.equal(mixed?.quorum, 3);
  assert.equal(mixed?.timeout_ms, 5_400_000);
  assert.equal(mixed?.justification_required, true);
  assert.deepEqual(mixed?.break_glass, ['alice']);
  assert.equal(policy.document.defaults.approval.timeout_ms, 7_200_000);
  assert.equal(policy.document.defaults.decision, 'deny');
  assert.deepEqual([...policy.groupsReferenced].sort(), ['data-owners', 'security', 'sre-oncall']);
});

test('redact paths are kept', () => {
  const policy = load(yaml('version: 1', 'redact: [params.password, context.token]', 'rules: []'));
  assert.deepEqual(policy.redact, ['params.password', 'context.token']);
});

test('the version is stable across key order, quoting and comments, and changes with any value', () => {
  const a = load(valid).version;
  assert.match(a, /^sha256:[0-9a-f]{64}$/);
  const reordered = yaml(
    '# a comment',
    'rules:',
    '  - decision: "allow"   # allowed',
    '    match:',
    "      action: 'db.query'",
    '    id: ok',
    'version: 1',
  );
  assert.equal(load(reordered).version, a);
  assert.notEqual(load(valid.replace('db.query', 'db.queries')).version, a);
  assert.notEqual(load(valid.replace('allow', 'deny')).version, a);
  assert.notEqual(load(valid + '    reason: read only\n').version, a);
});

test('an anchor and alias may share a list of groups', () => {
  const policy = load(
    yaml(
      'version: 1',
      'rules:',
      '  - id: a',
      '    require_approval: { from: &owners [data-owners, security] }',
      '  - id: b',
      '    require_approval: { from: *owners, quorum: 2 }',
    ),
  );
  assert.deepEqual(policy.rules[1]?.approval?.from, ['data-owners', 'security']);
});
