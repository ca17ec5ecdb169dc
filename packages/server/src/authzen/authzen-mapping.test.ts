import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersignError, actionDigest } from '@countersign/core';
import { toCountersign, withDefaults } from './authzen-mapping.js';

const base = {
  subject: { type: 'agent', id: 'exporter', properties: { team: 'data' } },
  action: { name: 'db.export', properties: { rows: 20000 } },
  resource: { type: 'postgres', id: '//prod/customers', properties: { pii: true } },
};

const refusal = (path: string) => (e: unknown) =>
  e instanceof CountersignError && e.code === 'invalid_request' && e.message.startsWith(path);

test('AuthZEN 1.0 §5: the mapping table, entity by entity', () => {
  const m = toCountersign({
    ...base,
    context: {
      environment: 'production',
      justification: 'churn analysis',
      risk: 'high',
      on_behalf_of: 'alice',
      time: '1985-10-26T01:22-07:00',
      approval: { id: 'act_1', state: 'jws' },
    },
  });
  assert.equal(m.agentId, 'exporter');
  assert.deepEqual(m.approval, { id: 'act_1', state: 'jws' });
  assert.deepEqual(m.input, {
    action: 'db.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 20000 },
    justification: 'churn analysis',
    risk: 'high',
    on_behalf_of: 'alice',
    context: {
      time: '1985-10-26T01:22-07:00',
      authzen: {
        subject: { type: 'agent', id: 'exporter', properties: { team: 'data' } },
        resource: { type: 'postgres', id: '//prod/customers', properties: { pii: true } },
      },
    },
  });
});

test('AuthZEN 1.0 §5.2: the resource type is bound into the digest (document:x is not folder:x)', () => {
  const doc = toCountersign({ ...base, resource: { type: 'document', id: 'x' } });
  const folder = toCountersign({ ...base, resource: { type: 'folder', id: 'x' } });
  assert.notEqual(actionDigest(doc.input), actionDigest(folder.input));
  // Without `context.environment`, the native default.
  assert.equal(doc.input.environment, 'default');
});

test('AuthZEN 1.0 §5: what Countersign cannot represent is refused, naming the member', () => {
  const cases: [string, unknown][] = [
    ['subject.type', { ...base, subject: { type: 'user', id: 'alice' } }],
    ['subject.id', { ...base, subject: { type: 'agent', id: 'a\nb' } }],
    ['action.name', { ...base, action: { name: 'db export' } }],
    ['resource.type', { ...base, resource: { type: 'a:b', id: 'x' } }],
    ['resource.type', { ...base, resource: { type: '1x', id: 'x' } }],
    ['resource.id', { ...base, resource: { type: 'x', id: 'a\u202Eb' } }],
    ['context.environment', { ...base, context: { environment: 'prod uction' } }],
    ['context.risk', { ...base, context: { risk: 'extreme' } }],
    ['context.on_behalf_of', { ...base, context: { on_behalf_of: 7 } }],
    ['context.approval', { ...base, context: { approval: { state: 'x' } } }],
    ['context.approval.state', { ...base, context: { approval: { id: 'a', state: {} } } }],
  ];
  for (const [path, ev] of cases) {
    assert.throws(() => toCountersign(ev as never), refusal(path), path);
  }
});

test('AuthZEN 1.0 §7.1.1: defaults, overrides, and a missing required key', () => {
  const evs = withDefaults({
    subject: base.subject,
    action: base.action,
    context: { environment: 'production' },
    evaluations: [
      { resource: base.resource },
      { resource: base.resource, action: { name: 'db.query' }, context: { x: 1 } },
    ],
  });
  assert.equal(evs.length, 2);
  assert.equal(evs[0].action.name, 'db.export');
  assert.deepEqual(evs[0].context, { environment: 'production' });
  assert.equal(evs[1].action.name, 'db.query');
  assert.deepEqual(evs[1].context, { x: 1 }, 'an evaluation context replaces the default');
  // §7.1: no array (or an empty one) is the single evaluation of the top-level keys.
  assert.equal(withDefaults({ ...base, evaluations: [] }).length, 1);
  assert.throws(
    () => withDefaults({ action: base.action, evaluations: [{ resource: base.resource }] }),
    refusal('evaluations[0].subject'),
  );
  assert.throws(() => withDefaults({ subject: base.subject }), refusal('body.action'));
});
