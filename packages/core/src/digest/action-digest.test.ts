import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionDigest } from './action-digest.js';
import { canonicalJson } from './canonical-json.js';
import type { ActionSpec } from '../model/action-request.js';

const spec: ActionSpec = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000, columns: ['id', 'email'], filter: { region: 'eu', active: true } },
};

test('the same action digests the same whatever the key order or whitespace', () => {
  const a = JSON.parse(JSON.stringify(spec)) as ActionSpec;
  const reordered = JSON.parse(
    `{ "params": {"filter": {"active": true,   "region": "eu"}, "columns": ["id","email"], "rows": 2.0e4},
       "environment":"production", "resource":"postgres://prod/customers", "action":"db.export" }`,
  ) as ActionSpec;
  assert.equal(actionDigest(a), actionDigest(reordered));
  assert.match(actionDigest(a), /^sha256:[0-9a-f]{64}$/);
});

test('any change to a param, the action, the resource or the environment changes the digest', () => {
  const base = actionDigest(spec);
  const variants: ActionSpec[] = [
    { ...spec, params: { ...spec.params, rows: 20001 } },
    { ...spec, params: { ...spec.params, columns: ['email', 'id'] } },
    { ...spec, params: { ...spec.params, extra: null } },
    { ...spec, params: { ...spec.params, rows: '20000' } },
    { ...spec, action: 'db.exports' },
    { ...spec, resource: 'postgres://prod/customers2' },
    { ...spec, environment: 'staging' },
  ];
  const digests = new Set(variants.map(actionDigest));
  assert.equal(digests.size, variants.length);
  assert.ok(!digests.has(base));
});

test('canonical JSON follows RFC 8785 for keys, numbers and strings', () => {
  // Example values from RFC 8785 section 3.2.2/3.2.3 style: sorted keys, ES number form.
  assert.equal(
    canonicalJson({ b: 1, a: [1e21, 0.5, -0], c: 'é\u2028' }),
    '{"a":[1e+21,0.5,0],"b":1,"c":"é\u2028"}',
  );
  assert.equal(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3 }), '{"\\r":2,"1":3,"€":1}');
});
