import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob } from './glob.js';

const matches = (pattern: string | string[], value: string): boolean =>
  compileGlob(pattern).test(value);

test('* matches any run of characters, dots and slashes included', () => {
  assert.ok(matches('db.ddl.*', 'db.ddl.drop.table'));
  assert.ok(matches('db.ddl.*', 'db.ddl.'));
  assert.ok(!matches('db.ddl.*', 'db.ddl'));
  assert.ok(!matches('db.ddl.*', 'xdb.ddl.drop'));
  assert.ok(matches('*', ''));
  assert.ok(matches('*', 'anything/at all\nwith a newline'));
  assert.ok(matches('postgres://prod/*', 'postgres://prod/customers/orders'));
  assert.ok(matches('*.restart', 'k8s.rollout.restart'));
  assert.ok(!matches('*.restart', 'k8s.rollout.restarts'));
  assert.ok(matches('k8s://*/payments/*', 'k8s://prod/payments/deploy/api'));
  assert.ok(!matches('k8s://*/payments/*', 'k8s://prod/billing/deploy/api'));
  assert.ok(matches('a**b', 'ab'));
  assert.ok(matches('*a*b*c*', 'xxaxxbxxcxx'));
  assert.ok(!matches('*a*b*c*', 'xxcxxbxxaxx'));
  // the last segment must not overlap the middle one
  assert.ok(!matches('*ab*ba', 'aba'));
  assert.ok(matches('*ab*ba', 'abba'));
});

test('? matches exactly one character', () => {
  assert.ok(matches('dev-?', 'dev-1'));
  assert.ok(!matches('dev-?', 'dev-'));
  assert.ok(!matches('dev-?', 'dev-12'));
  assert.ok(matches('?b*?', 'ab.c'));
  assert.ok(matches('*x?z*', 'aaxyzaa'));
  assert.ok(!matches('*x?z', 'aaxyzaa'));
});

test('everything else is literal: dots, regex specials, case', () => {
  assert.ok(!matches('db.export', 'dbxexport'));
  assert.ok(matches('a+b(c)[d]{2}^$|\\', 'a+b(c)[d]{2}^$|\\'));
  assert.ok(!matches('a+b', 'aab'));
  assert.ok(!matches('a.*', 'ab'), '".*" is a literal dot then a star');
  assert.ok(matches('a.*', 'a.b'));
  assert.ok(!matches('Production', 'production'));
  assert.ok(!matches('[ab]', 'a'));
});

test('a list matches if any pattern does', () => {
  assert.ok(matches(['staging', 'dev-*'], 'dev-eu'));
  assert.ok(matches(['staging', 'dev-*'], 'staging'));
  assert.ok(!matches(['staging', 'dev-*'], 'production'));
  assert.ok(matches(['a', 'b'], 'b'));
  assert.ok(!matches(['a', 'b'], 'c'));
  assert.deepEqual(compileGlob('x').patterns, ['x']);
});

test('matching stays fast on long attacker-chosen values (no backtracking blow-up)', () => {
  const value = 'a'.repeat(200_000);
  const start = process.hrtime.bigint();
  assert.ok(!matches('*a*a*a*a*b', value));
  assert.ok(!matches('*a?a*a?a*b*', value));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.ok(ms < 1000, `took ${ms} ms`);
});
