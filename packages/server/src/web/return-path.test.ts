import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeReturnPath } from './return-path.js';

test('paths on this site come back as they were', () => {
  assert.equal(safeReturnPath('/actions/act_1'), '/actions/act_1');
  assert.equal(safeReturnPath('/history?status=denied#x'), '/history?status=denied#x');
  assert.equal(safeReturnPath('/'), '/');
});

test('anything that could leave the site, or loop back to sign-in, becomes /', () => {
  for (const bad of [
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    'javascript:alert(1)',
    'actions/x',
    '/a\nb',
    '/login?return_to=/x',
    '/auth/login',
    '',
    undefined,
    42,
    `/${'a'.repeat(3000)}`,
  ]) {
    assert.equal(safeReturnPath(bad), '/', String(bad));
  }
});
