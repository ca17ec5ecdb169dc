import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSlug, toolAction, toolContext, toolSegment } from './tool-action.js';
import { riskFromHints } from './tool-hints.js';
import { IdempotencyKeys } from './idempotency-key.js';

test('server names become lower-case [a-z0-9_-] slugs', () => {
  assert.equal(serverSlug('github'), 'github');
  assert.equal(serverSlug('GitHub MCP Server'), 'github-mcp-server');
  assert.equal(serverSlug('@acme/Files.v2'), 'acme-files-v2');
  assert.equal(serverSlug('my_server-1'), 'my_server-1');
  assert.equal(serverSlug('…'), 'upstream');
  assert.equal(serverSlug('x'.repeat(100)).length, 64);
});

test('tool names keep their case; characters an action may not hold become _', () => {
  assert.equal(toolSegment('create_pull_request'), 'create_pull_request');
  assert.equal(toolSegment('repo.delete'), 'repo_delete');
  assert.equal(toolSegment('Files/Read'), 'Files_Read');
  assert.equal(toolSegment(''), '_');
});

test('a call maps to mcp.<server>.<tool> on mcp://<server>/<tool>, arguments as params', () => {
  assert.deepEqual(toolAction('github', 'repo.delete', { repo: 'a/b' }, 'production'), {
    action: 'mcp.github.repo_delete',
    resource: 'mcp://github/repo.delete',
    environment: 'production',
    params: { repo: 'a/b' },
  });
  assert.equal(toolAction('s', 'a b/c', {}, 'default').resource, 'mcp://s/a%20b%2Fc');
  // Every action fits the API's limits: segments of [A-Za-z0-9_-], at most 200 characters.
  const long = toolAction(serverSlug('s'.repeat(300)), 't.'.repeat(300), {}, 'default').action;
  assert.match(long, /^mcp\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.ok(long.length <= 200);
});

test('annotations are risk hints: read-only is low, destructive is high, none is none', () => {
  assert.equal(riskFromHints({ readOnlyHint: true }), 'low');
  // destructiveHint only means something for a tool that is not read-only (MCP spec).
  assert.equal(riskFromHints({ readOnlyHint: true, destructiveHint: true }), 'low');
  assert.equal(riskFromHints({ destructiveHint: true }), 'high');
  assert.equal(riskFromHints({ readOnlyHint: false, destructiveHint: false }), undefined);
  assert.equal(riskFromHints({}), undefined);
});

test('the context carries the tool, its title and only the hints the upstream gave', () => {
  assert.deepEqual(toolContext('gh', 'merge', { title: 'Merge', destructiveHint: true }), {
    mcp: { server: 'gh', tool: 'merge', title: 'Merge', annotations: { destructiveHint: true } },
  });
  assert.deepEqual(toolContext('gh', 'x', {}), {
    mcp: { server: 'gh', tool: 'x', annotations: {} },
  });
});

test('idempotency keys: the same for a retry, different per call, session and reuse of an id', () => {
  const a = new IdempotencyKeys('session-a');
  const again = new IdempotencyKeys('session-a');
  const b = new IdempotencyKeys('session-b');
  const first = a.next(7);
  assert.equal(again.next(7), first, 'deterministic for a session and request id');
  assert.notEqual(b.next(7), first, 'another session');
  assert.notEqual(a.next(7), first, 'the same id, reused after the first call finished');
  assert.notEqual(a.next('7'), a.next(7), 'string and number ids differ');
  assert.match(first, /^mcp-[0-9a-f]{48}$/);
});
