import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoveredRequest, StandingApproval, StandingWorld } from '@countersign/core';
import { StandingIndex } from './standing-index.js';

/**
 * The index across a refresh interval: the safety poll's full reload (reset) must drop what a
 * missed notification left behind and what expired meanwhile, yet keep what changed during
 * its read. Time is the injected `now`, never the wall clock.
 */
const T0 = Date.parse('2026-03-01T09:00:00Z');
const HOUR = 3_600_000;

const sa = (id: string, over: Partial<StandingApproval> = {}): StandingApproval => ({
  id,
  state: 'active',
  source_action_id: 'act_1',
  agent_id: 'exporter',
  action: 'db.export',
  environment: 'production',
  rules: ['export'],
  rule_fingerprints: { export: 'fp' },
  approval: {
    clauses: [{ rule: 'export', from: ['ops'], groups: [], quorum: 1, break_glass: [] }],
    timeout_ms: HOUR,
    on_timeout: 'deny',
    justification_required: false,
  },
  scope: { kind: 'digest', digest: 'd1' },
  max_uses: 5,
  uses: 0,
  expires_at: T0 + HOUR,
  created_at: T0,
  created_by: 'alice',
  endorsers: [{ user: 'alice', groups: ['ops'], channel: 'web', at: T0 }],
  revoked_at: null,
  revoked_by: null,
  revoke_reason: null,
  ...over,
});

const request: CoveredRequest = {
  agent_id: 'exporter',
  action: 'db.export',
  environment: 'production',
  digest: 'd1',
  risk: null,
  on_behalf_of: null,
};
const world = (now: number): StandingWorld => ({
  fingerprint: () => 'fp',
  groupsOf: (user) => (user === 'alice' ? ['ops'] : undefined),
  agentOwners: [],
  now,
});
const matchAt = (index: StandingIndex, now: number) =>
  index.match(request, ['export'], () => ({}), world(now))?.sa.id;

test('a match stops at expiry, and the next reload drops the expired entry', () => {
  const index = new StandingIndex();
  index.put(sa('sa_a'), T0);
  assert.equal(matchAt(index, T0 + HOUR - 1), 'sa_a');
  assert.equal(matchAt(index, T0 + HOUR), undefined, 'expired before any reload');
  index.reset([sa('sa_a')], T0 + HOUR, index.version);
  assert.equal(index.has('sa_a'), false);
});

test('the safety reload removes one whose revocation notice was missed', () => {
  const index = new StandingIndex();
  index.put(sa('sa_a'), T0);
  index.put(sa('sa_b'), T0);
  // The store no longer lists sa_a (revoked elsewhere, notice lost).
  index.reset([sa('sa_b')], T0 + 15_000, index.version);
  assert.equal(index.has('sa_a'), false);
  assert.equal(index.has('sa_b'), true);
  assert.equal(matchAt(index, T0 + 15_000), 'sa_b');
});

test('a reload keeps what was put or removed while its read ran', () => {
  const index = new StandingIndex();
  index.put(sa('sa_old'), T0);
  const since = index.version;
  // While the read runs: a new one is created here and sa_old is revoked here.
  index.put(sa('sa_new'), T0);
  index.remove('sa_old');
  // The read saw the world before both.
  index.reset([sa('sa_old')], T0 + 1, since);
  assert.equal(index.has('sa_new'), true);
  assert.equal(index.has('sa_old'), false);
  // A later reload from a store that agrees changes nothing.
  index.reset([sa('sa_new')], T0 + 2, index.version);
  assert.deepEqual([index.has('sa_new'), index.has('sa_old'), index.size], [true, false, 1]);
});

test('the soonest-expiring covering approval is used first', () => {
  const index = new StandingIndex();
  index.put(sa('sa_long', { expires_at: T0 + 8 * HOUR }), T0);
  index.put(sa('sa_short', { expires_at: T0 + HOUR }), T0);
  assert.equal(matchAt(index, T0), 'sa_short');
  assert.equal(matchAt(index, T0 + HOUR), 'sa_long', 'after the short one expires');
});

test('a reload or a counted use keeps the compiled condition; a new `when` compiles anew', () => {
  const index = new StandingIndex();
  const cond = sa('sa_c', { scope: { kind: 'condition', when: 'params.rows <= 10' } });
  index.put(cond, T0);
  const compiled = index.get('sa_c')?.condition;
  assert.ok(compiled);
  index.reset([cond], T0 + 15_000, index.version);
  assert.equal(index.get('sa_c')?.condition, compiled, 'not compiled again by the safety poll');
  index.put({ ...cond, uses: 1 }, T0 + 15_000);
  assert.equal(index.get('sa_c')?.condition, compiled, 'not compiled again by a use');
  index.put({ ...cond, scope: { kind: 'condition', when: 'params.rows <= 20' } }, T0 + 15_000);
  const recompiled = index.get('sa_c')?.condition;
  assert.ok(recompiled && recompiled !== compiled);
  assert.equal(recompiled.evaluate({ params: { rows: 15 } }), true);
});
