import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from './load-policy.js';
import type { CompiledPolicy } from './compiled-policy.js';
import type { PolicyInput } from './types.js';

const load = (source: string): CompiledPolicy =>
  loadPolicy(source, {
    file: 'policy.yaml',
    groups: new Set(['data-owners', 'security', 'sre-oncall', 'dba']),
    users: new Set(['alice']),
  });

const request = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
  agent: { id: 'exporter', owners: ['bob'] },
  ...over,
});

// The policy from PRODUCT.md, "Policy".
const product = load(`
version: 1
defaults:
  decision: deny            # nothing matched: fail closed
  approval: { timeout: 30m, on_timeout: deny }
rules:
  - id: prod-large-export
    description: Large production exports need two data owners
    match: { action: "db.export", environment: production }
    when: params.rows > 10000                      # CEL over the request
    require_approval:
      from: [data-owners]
      quorum: 2
      timeout: 30m
      escalate: { after: 15m, to: [sre-oncall] }
      justification: required
  - id: read-only-sql
    match: { action: "db.query" }
    when: '!params.sql.matches("(?i)\\\\b(insert|update|delete|drop|alter|grant|truncate)\\\\b")'
    decision: allow
  - id: never-drop-prod
    match: { action: "db.ddl.*", environment: production }
    decision: deny
    reason: Agents never run DDL on production
`);

test('an unmatched action is denied by default, with a reason', () => {
  const d = product.evaluate(request({ action: 'iam.role.grant' }));
  assert.equal(d.decision, 'deny');
  assert.deepEqual(d.rules, []);
  assert.equal(d.reason, 'no rule matched; default is deny');
  assert.deepEqual(d.trace, []);
  assert.equal(d.policy_version, product.version);
});

test('the PRODUCT.md example: big exports need two data owners', () => {
  const d = product.evaluate(request());
  assert.equal(d.decision, 'require_approval');
  assert.deepEqual(d.rules, ['prod-large-export']);
  assert.equal(d.reason, 'needs approval: prod-large-export (2 of data-owners)');
  assert.deepEqual(d.approval, {
    clauses: [
      {
        rule: 'prod-large-export',
        from: ['data-owners'],
        groups: [{ group: 'data-owners', min: 0 }],
        quorum: 2,
        escalate: { after_ms: 900_000, to: ['sre-oncall'] },
        break_glass: [],
      },
    ],
    timeout_ms: 1_800_000,
    on_timeout: 'deny',
    justification_required: true,
  });
  // a small export matches no rule: default deny, and the skipped rule is traced
  const small = product.evaluate(request({ params: { rows: 10 } }));
  assert.equal(small.decision, 'deny');
  assert.deepEqual(
    small.trace.map((t) => [t.rule, t.outcome]),
    [['prod-large-export', 'skipped']],
  );
});

test('the PRODUCT.md example: read-only SQL is allowed, DROP is not (RE2 (?i))', () => {
  const select = product.evaluate(
    request({ action: 'db.query', params: { sql: 'SELECT * FROM orders' } }),
  );
  assert.equal(select.decision, 'allow');
  assert.deepEqual(select.rules, ['read-only-sql']);
  const drop = product.evaluate(
    request({ action: 'db.query', params: { sql: 'select 1; DrOp TABLE orders' } }),
  );
  assert.equal(drop.decision, 'deny');
  const ddl = product.evaluate(request({ action: 'db.ddl.drop.table' }));
  assert.equal(ddl.decision, 'deny');
  assert.deepEqual(ddl.rules, ['never-drop-prod']);
  assert.equal(ddl.reason, 'Agents never run DDL on production');
  assert.equal(
    product.evaluate(request({ action: 'db.ddl.drop.table', environment: 'staging' })).decision,
    'deny',
  );
});

test('a when that reads a missing params field denies, naming the rule; it never throws', () => {
  const d = product.evaluate(request({ params: {} }));
  assert.equal(d.decision, 'deny');
  assert.deepEqual(d.rules, ['prod-large-export']);
  assert.match(d.reason, /prod-large-export/);
  assert.match(d.reason, /rows/);
  assert.equal(d.trace[0]?.outcome, 'error');
  assert.equal(d.trace[0]?.effect, 'deny');
  // the same under a default of allow: an error is never an allow
  const lenient = load(`
version: 1
defaults: { decision: allow }
rules:
  - id: guarded
    when: params.amount > 100
    decision: allow
`);
  assert.equal(lenient.evaluate(request({ params: {} })).decision, 'deny');
});

test('a CEL evaluation error or a non-boolean when denies, naming the rule', () => {
  const p = load(`
version: 1
rules:
  - id: arithmetic
    match: { action: a }
    when: params.rows + 1 > 10
    decision: allow
  - id: not-bool
    match: { action: b }
    when: params.rows
    decision: allow
  - id: bad-regex
    match: { action: c }
    when: action.matches("(")
    decision: allow
`);
  for (const [action, rule, detail] of [
    ['a', 'arithmetic', /overload/],
    ['b', 'not-bool', /not a boolean/],
    ['c', 'bad-regex', /regexp|parsing/],
  ] as const) {
    const d = p.evaluate(request({ action }));
    assert.equal(d.decision, 'deny', rule);
    assert.deepEqual(d.rules, [rule]);
    assert.ok(d.reason.startsWith(`rule ${rule} could not be evaluated`), d.reason);
    assert.match(d.trace[0]?.detail ?? '', detail);
  }
});

test('deny beats require_approval beats allow', () => {
  const p = load(`
version: 1
rules:
  - id: allow-db
    match: { action: "db.*" }
    decision: allow
  - id: approve-prod
    match: { action: "db.*", environment: production }
    require_approval: { from: [dba] }
  - id: deny-drop
    match: { action: db.drop }
    decision: deny
`);
  assert.equal(p.evaluate(request({ action: 'db.read', environment: 'dev' })).decision, 'allow');
  const prod = p.evaluate(request({ action: 'db.read' }));
  assert.equal(prod.decision, 'require_approval');
  assert.deepEqual(prod.rules, ['approve-prod']);
  assert.deepEqual(
    prod.trace.map((t) => t.outcome),
    ['matched', 'matched'],
  );
  const drop = p.evaluate(request({ action: 'db.drop' }));
  assert.equal(drop.decision, 'deny');
  assert.deepEqual(drop.rules, ['deny-drop']);
  assert.equal(drop.reason, 'denied by rule deny-drop');
  assert.equal(drop.trace.length, 3);
});

test('an error outranks everything, even a matching allow', () => {
  const p = load(`
version: 1
rules:
  - id: allow-all
    decision: allow
  - id: broken
    when: params.nope == 1
    require_approval: { from: [dba] }
`);
  const d = p.evaluate(request());
  assert.equal(d.decision, 'deny');
  assert.deepEqual(d.rules, ['broken']);
});

test('two approval rules combine: a clause each, the shortest timeout, justification if any', () => {
  const p = load(`
version: 1
defaults: { approval: { timeout: 45m } }
rules:
  - id: owners
    match: { action: db.export }
    require_approval:
      from: [{ group: data-owners, min: 1 }, { group: security, min: 1 }]
      timeout: 1h
  - id: sre
    match: { environment: production }
    require_approval:
      from: [sre-oncall]
      justification: required
      break_glass: [alice]
  - id: allowed-too
    decision: allow
`);
  const d = p.evaluate(request());
  assert.equal(d.decision, 'require_approval');
  assert.deepEqual(d.rules, ['owners', 'sre']);
  assert.deepEqual(
    d.approval?.clauses.map((c) => [c.rule, c.quorum, c.break_glass]),
    [
      ['owners', 2, []],
      ['sre', 1, ['alice']],
    ],
  );
  assert.equal(d.approval?.timeout_ms, 45 * 60_000, 'the default 45m is shorter than the 1h');
  assert.equal(d.approval?.justification_required, true);
  assert.equal(
    d.reason,
    'needs approval: owners (1 of data-owners + 1 of security); sre (1 of sre-oncall)',
  );
  // a decision is the caller's to keep: editing it does not edit the policy
  d.approval?.clauses[0]?.from.push('mallory');
  assert.deepEqual(p.evaluate(request()).approval?.clauses[0]?.from, ['data-owners', 'security']);
});

test('the default is allow only when the policy says so', () => {
  const unsaid = load('version: 1\nrules: []\n');
  assert.equal(unsaid.evaluate(request()).decision, 'deny');
  const saidDeny = load('version: 1\ndefaults: { decision: deny }\nrules: []\n');
  assert.equal(saidDeny.evaluate(request()).decision, 'deny');
  const saidAllow = load('version: 1\ndefaults: { decision: allow }\nrules: []\n');
  const d = saidAllow.evaluate(request());
  assert.equal(d.decision, 'allow');
  assert.equal(d.reason, 'no rule matched; default is allow');
});

test('match keys: all present must match; lists; agent id; resource globs', () => {
  const p = load(`
version: 1
rules:
  - id: one
    match:
      action: [k8s.rollout.restart, "k8s.scale.*"]
      resource: "k8s://prod/*"
      environment: [production, prod-?]
      agent: deploy-bot
    decision: allow
`);
  const base = request({
    action: 'k8s.scale.up',
    resource: 'k8s://prod/payments/deploy/api',
    agent: { id: 'deploy-bot', owners: [] },
  });
  assert.equal(p.evaluate(base).decision, 'allow');
  assert.equal(p.evaluate({ ...base, environment: 'prod-2' }).decision, 'allow');
  assert.equal(p.evaluate({ ...base, environment: 'prod-22' }).decision, 'deny');
  assert.equal(p.evaluate({ ...base, resource: 'k8s://staging/x' }).decision, 'deny');
  assert.equal(p.evaluate({ ...base, agent: { id: 'other', owners: [] } }).decision, 'deny');
  assert.equal(p.evaluate({ ...base, action: 'k8s.rollout.restart' }).decision, 'allow');
});

test('malformed input is denied, never thrown', () => {
  const lenient = load(
    'version: 1\ndefaults: { decision: allow }\nrules:\n  - id: x\n    when: params.a == 1\n    decision: allow\n',
  );
  const bad: unknown[] = [
    null,
    'db.export',
    { ...request(), action: undefined },
    { ...request(), params: null },
    { ...request(), params: [] },
    { ...request(), agent: null },
    { ...request(), agent: { id: 'x', owners: 'bob' } },
    { ...request(), risk: 7 },
    { ...request(), context: 'x' },
    { ...request(), params: { a: 1, nested: { constructor: 5 } } },
  ];
  for (const input of bad) {
    const d = lenient.evaluate(input as PolicyInput);
    assert.equal(
      d.decision,
      input === bad[bad.length - 1] ? 'allow' : 'deny',
      JSON.stringify(input),
    );
  }
  // null optional fields are absent, as a stored request's empty columns would be
  const nulls = {
    ...request(),
    risk: null,
    justification: null,
    on_behalf_of: null,
    context: null,
  };
  assert.equal(
    lenient.evaluate({ ...nulls, params: { a: 1 } } as unknown as PolicyInput).decision,
    'allow',
  );
  // even an input that throws when read
  const hostile = request();
  Object.defineProperty(hostile, 'environment', {
    get(): never {
      throw new Error('boom');
    },
  });
  const d = lenient.evaluate(hostile);
  assert.equal(d.decision, 'deny');
  assert.match(d.reason, /boom/);
  // a value CEL cannot represent, reached by a condition, is an error: deny
  const nested = load(
    'version: 1\nrules:\n  - id: x\n    when: params.n.constructor == 5\n    decision: allow\n',
  );
  assert.equal(nested.evaluate(request({ params: { n: { constructor: 5 } } })).decision, 'deny');
});
