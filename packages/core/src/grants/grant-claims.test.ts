import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionDigest } from '../digest/action-digest.js';
import type { ActionSpec } from '../model/action-request.js';
import { isCountersignError } from '../errors.js';
import { assertGrantBinding, readGrantClaims } from './index.js';

const spec = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 500 },
};
const claims = {
  iss: 'http://localhost:8080',
  sub: 'exporter',
  aud: 'countersign',
  jti: 'grt_1',
  iat: 1_700_000_000,
  exp: 1_700_000_900,
  request_id: 'act_1',
  action: spec.action,
  resource: spec.resource,
  environment: spec.environment,
  digest: actionDigest(spec),
  approvers: ['alice', 'bob'],
  basis: 'quorum',
  policy_version: 'sha256:00',
};

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isCountersignError(e) ? e.code : 'not a CountersignError';
  }
  return 'no error';
};

test('a well-formed payload reads back as the same claims', () => {
  assert.deepEqual(readGrantClaims(JSON.parse(JSON.stringify(claims))), claims);
});

test('anything that is not exactly a grant is refused as invalid_signature', () => {
  for (const bad of [
    null,
    [],
    'x',
    { ...claims, aud: 'other' },
    { ...claims, aud: ['countersign'] },
    { ...claims, digest: 'sha256:XYZ' },
    { ...claims, approvers: 'alice' },
    { ...claims, approvers: [1] },
    { ...claims, basis: 'admin' },
    { ...claims, exp: claims.iat },
    { ...claims, iat: 1.5 },
    { ...claims, sub: '' },
    { ...claims, request_id: undefined },
  ]) {
    assert.equal(
      code(() => readGrantClaims(bad)),
      'invalid_signature',
      JSON.stringify(bad),
    );
  }
});

test('the binding holds for the same action and fails on one changed byte anywhere', () => {
  assertGrantBinding(claims, { ...spec, params: { rows: 500 } });
  const others: ActionSpec[] = [
    { ...spec, params: { rows: 501 } },
    { ...spec, params: { rows: 500, extra: null } },
    { ...spec, resource: 'postgres://prod/customer' },
    { ...spec, environment: 'staging' },
    { ...spec, action: 'db.exports' },
  ];
  for (const other of others) {
    assert.equal(
      code(() => assertGrantBinding(claims, other)),
      'digest_mismatch',
    );
  }
});

test('key order in params does not matter (RFC 8785 canonical JSON)', () => {
  const two = { ...spec, params: { a: 1, b: 2 } };
  assertGrantBinding({ digest: actionDigest(two) }, { ...spec, params: { b: 2, a: 1 } });
});
