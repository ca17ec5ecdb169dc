import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CelCondition, celBindings } from './cel.js';
import type { PolicyInput } from './types.js';

const input: PolicyInput = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: {
    rows: 20000,
    ratio: 0.5,
    tables: ['a', 'b'],
    filter: { region: 'eu' },
    sql: 'select 1',
  },
  agent: { id: 'exporter', owners: ['bob'] },
};

function run(source: string, i: PolicyInput = input): ReturnType<CelCondition['evaluate']> {
  const c = CelCondition.compile(source);
  if (!c.ok) throw new Error(`did not compile: ${c.problems.map((p) => p.message).join('; ')}`);
  return c.condition.evaluate(celBindings(i));
}

test('JSON integers are CEL doubles, and compare with int literals', () => {
  assert.equal(run('params.rows > 10000'), true);
  assert.equal(run('params.rows > 20000'), false);
  assert.equal(run('params.rows == 20000'), true);
  assert.equal(run('params.rows >= 20000.0'), true);
  assert.equal(run('params.ratio < 1'), true);
  assert.equal(run('int(params.rows) + 1 == 20001'), true);
  // Arithmetic does not mix double and int: this is an error, so it denies.
  assert.ok(typeof run('params.rows + 1 > 10') === 'object');
});

test('every documented variable is bound', () => {
  assert.equal(run('action == "db.export" && resource.startsWith("postgres://prod/")'), true);
  assert.equal(run('environment == "production"'), true);
  assert.equal(run('agent.id == "exporter" && "bob" in agent.owners'), true);
  assert.equal(run('params.filter.region == "eu" && size(params.tables) == 2'), true);
  assert.equal(run('params.tables.exists(t, t == "b")'), true);
  const full: PolicyInput = {
    ...input,
    risk: 'high',
    justification: 'quarterly report',
    on_behalf_of: 'carol',
    context: { ticket: 'OPS-1' },
  };
  assert.equal(
    run(
      'risk == "high" && justification != "" && on_behalf_of == "carol" && context.ticket == "OPS-1"',
      full,
    ),
    true,
  );
});

test('absent optional fields are empty strings and an empty context', () => {
  assert.equal(run('risk == "" && justification == "" && on_behalf_of == ""'), true);
  assert.equal(run('risk in ["high", "critical"]'), false);
  assert.equal(run('size(context) == 0 && !has(context.ticket)'), true);
});

test('a missing params key is an error, and has() guards it', () => {
  const r = run('params.missing > 1');
  assert.ok(typeof r === 'object' && /missing/.test(r.error), JSON.stringify(r));
  assert.equal(run('has(params.missing) && params.missing > 1'), false);
  assert.equal(run('!has(params.missing) || params.missing > 1'), true);
});

test('a non-boolean result is an error', () => {
  const r = run('params.rows');
  assert.ok(typeof r === 'object' && /not a boolean/.test(r.error));
  assert.ok(typeof run('action') === 'object');
});

test('matches() uses RE2 syntax, including (?i)', () => {
  const readOnly =
    '!params.sql.matches("(?i)\\\\b(insert|update|delete|drop|alter|grant|truncate)\\\\b")';
  assert.equal(run(readOnly), true);
  assert.equal(run(readOnly, { ...input, params: { sql: 'DROP TABLE customers' } }), false);
  assert.equal(run(readOnly, { ...input, params: { sql: 'select dropped_at from t' } }), true);
  // a pattern that is not valid RE2 is an evaluation error, not a crash
  assert.ok(typeof run('params.sql.matches("(")') === 'object');
  // backreferences are not RE2: error, never exponential backtracking
  assert.ok(typeof run('params.sql.matches("(a)\\\\1")') === 'object');
});

test('syntax errors, unknown variables and unknown functions are compile problems with offsets', () => {
  const syntax = CelCondition.compile('params.rows > 10000 &&');
  assert.ok(!syntax.ok);
  assert.match(syntax.problems[0]?.message ?? '', /syntax error/);

  const typo = CelCondition.compile('parms.rows > 1 && action == "x"');
  assert.ok(!typo.ok);
  assert.deepEqual(
    typo.problems.map((p) => [p.offset, p.message.split(' (')[0]]),
    [[0, 'unknown variable "parms"']],
  );

  const fn = CelCondition.compile('lowerAscii(action) == "x"');
  assert.ok(!fn.ok);
  assert.match(fn.problems[0]?.message ?? '', /unknown function "lowerAscii"/);

  // comprehension variables and type names are not "unknown"
  assert.ok(
    CelCondition.compile('params.tables.all(t, t != "") && type(params.rows) == double').ok,
  );
});
