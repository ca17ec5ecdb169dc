import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertTransition, canTransition } from './transitions.js';
import { STATUSES } from '../model/status.js';
import type { CountersignError } from '../errors.js';

test('a pending request can end exactly one way, and terminal states never move', () => {
  for (const to of ['approved', 'denied', 'expired', 'cancelled'] as const) {
    assert.ok(canTransition('pending', to));
  }
  for (const from of ['denied', 'expired', 'cancelled', 'completed', 'failed'] as const) {
    for (const to of STATUSES) assert.equal(canTransition(from, to), false, `${from}->${to}`);
  }
  assert.ok(canTransition('approved', 'completed'));
  assert.equal(canTransition('approved', 'denied'), false);
});

test('refusals carry the code a client needs', () => {
  const code = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return (e as CountersignError).code;
    }
    return 'none';
  };
  assert.equal(
    code(() => assertTransition('expired', 'approved')),
    'request_expired',
  );
  assert.equal(
    code(() => assertTransition('denied', 'approved')),
    'already_decided',
  );
  assert.equal(
    code(() => assertTransition('approved', 'cancelled')),
    'already_decided',
  );
  assert.equal(
    code(() => assertTransition('pending', 'completed')),
    'invalid_transition',
  );
  assert.equal(
    code(() => assertTransition('pending', 'approved')),
    'none',
  );
});
