import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_PATTERN, ENVIRONMENT_PATTERN, RESOURCE_PATTERN } from './action-grammar.js';

// Compiled as JSON Schema validators (Ajv) compile `pattern`: with the `u` flag.
const action = new RegExp(ACTION_PATTERN, 'u');
const resource = new RegExp(RESOURCE_PATTERN, 'u');
const environment = new RegExp(ENVIRONMENT_PATTERN, 'u');

test('actions: dotted [A-Za-z0-9_-] segments', () => {
  for (const ok of [
    'db.export',
    'mcp.github.create_pull_request',
    'claude_code.bash',
    'K8s-2.x_y',
  ]) {
    assert.ok(action.test(ok), ok);
  }
  for (const bad of ['', '.db', 'db.', 'db..x', 'db export', 'db.export\n', 'db.\u202Ex', 'db/x']) {
    assert.ok(!action.test(bad), JSON.stringify(bad));
  }
});

test('resources: one visible line, single inner spaces', () => {
  for (const ok of [
    'postgres://prod/customers',
    'k8s://prod/payments/deploy/api',
    'mcp://github/repo.delete',
    'file:///Users/me/My Project/a.ts',
    'https://example.com/?q=a&b=%20#x',
    'urn:données:表:😀',
    '<@U0BOSS>',
    'x',
  ]) {
    assert.ok(resource.test(ok), ok);
  }
  for (const bad of [
    '',
    ' x',
    'x ',
    'a  b',
    'a\nb',
    'a\r',
    'a\tb',
    'a\u0000',
    'a\u007f',
    'a\u0085b',
    'a\u00a0b',
    'a\u00adb',
    'a\u2028b',
    'a\u2029b',
    'invoice\u202Egpj.exe',
    '\u2066x\u2069',
    'a\u200Bb',
    'a\u200Fb',
    '\uFEFFa',
    'a\uD83D',
    'a\uDE00b',
    'a\uE000b',
    'a\u3000b',
  ]) {
    assert.ok(!resource.test(bad), JSON.stringify(bad));
  }
});

test('environments', () => {
  assert.ok(environment.test('production'));
  assert.ok(!environment.test('prod\n'));
  assert.ok(!environment.test('prod uction'));
});
