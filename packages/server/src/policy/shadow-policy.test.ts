import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy, type CompiledPolicy, type PolicyInput } from '@countersign/core';
import { ShadowPolicy } from './shadow-policy.js';

const groups = new Set(['ops', 'sec']);
const compile = (yaml: string) => loadPolicy(yaml, { file: 'p.yaml', groups, users: new Set() });
const LIVE = compile(`version: 1
defaults: { decision: deny }
rules:
  - { id: read, match: { action: read }, decision: allow }
  - { id: write, match: { action: write }, require_approval: { from: [ops], quorum: 2 } }
  - { id: drop, match: { action: drop }, decision: deny }
`);
const input = (action: string): PolicyInput => ({
  action,
  resource: 'r',
  environment: 'production',
  params: {},
  agent: { id: 'bot', owners: [] },
});

function shadowOf(yaml: string, errors: Error[] = []) {
  const shadow = new ShadowPolicy(
    'shadow.yaml',
    () => compile(yaml),
    (e) => errors.push(e),
  );
  assert.equal(shadow.reload().ok, true);
  return shadow;
}
const kindOf = (shadow: ShadowPolicy, action: string) =>
  shadow.compare(input(action), LIVE.evaluate(input(action)))?.kind;

test('the change kinds are replay’s, from the live decision (as pending) to the shadow’s', () => {
  const shadow = shadowOf(`version: 1
defaults: { decision: deny }
rules:
  - { id: read, match: { action: read }, require_approval: { from: [sec] } }
  - { id: write, match: { action: write }, require_approval: { from: [ops], quorum: 1 } }
  - { id: drop, match: { action: drop }, decision: allow }
`);
  assert.equal(kindOf(shadow, 'read'), 'needs-approval-that-was-allowed');
  assert.equal(kindOf(shadow, 'write'), 'approval-loosened');
  assert.equal(kindOf(shadow, 'drop'), 'allowed-that-was-denied');
  // The default on both sides: agreement.
  assert.equal(kindOf(shadow, 'other'), undefined);
});

test('a live approval denied by the shadow is denied-that-needed-approval (no vote yet)', () => {
  const shadow = shadowOf(`version: 1
defaults: { decision: deny }
rules:
  - { id: read, match: { action: read }, decision: allow }
`);
  assert.equal(kindOf(shadow, 'write'), 'denied-that-needed-approval');
  assert.equal(kindOf(shadow, 'read'), undefined);
  assert.equal(kindOf(shadow, 'drop'), 'rules-changed', 'denied by the default, not by drop');
});

test('a shadow that throws is reported and compared as nothing; no shadow compares nothing', () => {
  const errors: Error[] = [];
  const throwing = {
    version: 'sha256:x',
    evaluate: () => {
      throw new Error('boom');
    },
  } as unknown as CompiledPolicy; // only evaluate() is called
  const shadow = new ShadowPolicy(
    'shadow.yaml',
    () => throwing,
    (e) => errors.push(e),
  );
  assert.equal(shadow.compare(input('read'), LIVE.evaluate(input('read'))), undefined);
  assert.equal(shadow.current, undefined, 'not loaded yet');
  shadow.reload();
  assert.equal(shadow.compare(input('read'), LIVE.evaluate(input('read'))), undefined);
  assert.deepEqual(
    errors.map((e) => e.message),
    ['boom'],
  );
});

test('a refused reload keeps the previous shadow, or none', () => {
  let yaml = 'version: 1\nrules: [{ id: x }]\n';
  const shadow = new ShadowPolicy(
    'shadow.yaml',
    () => compile(yaml),
    () => undefined,
  );
  const loaded = () => shadow.current?.version;
  const first = shadow.reload();
  assert.equal(first.ok, false);
  assert.equal(first.version, null);
  assert.equal(loaded(), undefined);
  yaml = 'version: 1\nrules:\n  - { id: read, match: { action: read }, decision: allow }\n';
  const good = shadow.reload();
  assert.equal(good.ok, true);
  assert.equal(good.changed, true);
  yaml = 'version: 2\n';
  const bad = shadow.reload();
  assert.equal(bad.ok, false);
  assert.equal(bad.version, good.version);
  assert.equal(loaded(), good.version);
});
