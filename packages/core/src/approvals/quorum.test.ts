import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quorumProgress } from './quorum.js';
import type { ApprovalClause, ApprovalRequirement } from '../policy/types.js';

const clause = (c: Partial<ApprovalClause>): ApprovalClause => ({
  rule: 'r',
  from: [],
  groups: [],
  quorum: 1,
  break_glass: [],
  ...c,
});
const req = (...clauses: ApprovalClause[]): ApprovalRequirement => ({
  clauses,
  timeout_ms: 60_000,
  on_timeout: 'deny',
  justification_required: false,
});

test('two distinct approvers from the pool meet a quorum of two; one person twice does not', () => {
  const r = req(clause({ from: ['data-owners'], quorum: 2 }));
  assert.equal(quorumProgress(r, [{ user: 'alice', groups: ['data-owners'] }]).satisfied, false);
  assert.equal(
    quorumProgress(r, [
      { user: 'alice', groups: ['data-owners'] },
      { user: 'alice', groups: ['data-owners'] },
    ]).satisfied,
    false,
  );
  assert.equal(
    quorumProgress(r, [
      { user: 'alice', groups: ['data-owners'] },
      { user: 'bob', groups: ['data-owners'] },
    ]).satisfied,
    true,
  );
});

test('one person in two required groups cannot fill both seats', () => {
  const r = req(
    clause({
      groups: [
        { group: 'security', min: 1 },
        { group: 'platform', min: 1 },
      ],
      quorum: 2,
    }),
  );
  const both = { user: 'bob', groups: ['security', 'platform'] };
  const alone = quorumProgress(r, [both]);
  assert.equal(alone.satisfied, false);
  assert.equal(alone.clauses[0].approvals, 1);
  // bob can take either seat: with a platform-only approver, the matching puts bob on security
  const withDave = quorumProgress(r, [both, { user: 'dave', groups: ['platform'] }]);
  assert.equal(withDave.satisfied, true);
  // two security people do not satisfy the platform seat
  const twoSecurity = quorumProgress(r, [
    { user: 'sam', groups: ['security'] },
    { user: 'sue', groups: ['security'] },
  ]);
  assert.equal(twoSecurity.satisfied, false);
  assert.deepEqual(twoSecurity.clauses[0].missing, [{ group: 'platform', need: 1 }]);
});

test('the matching reassigns seats when a later approver can only fill one of them', () => {
  const r = req(
    clause({
      groups: [
        { group: 'a', min: 1 },
        { group: 'b', min: 1 },
      ],
      quorum: 2,
    }),
  );
  // first approver could take a or b; greedy "take a" would then block the second (a only)
  assert.equal(
    quorumProgress(r, [
      { user: 'x', groups: ['a', 'b'] },
      { user: 'y', groups: ['a'] },
    ]).satisfied,
    true,
  );
});

test('approvers outside the pool do not count; escalation widens the pool', () => {
  const r = req(
    clause({
      rule: 'big',
      from: ['data-owners'],
      quorum: 1,
      escalate: { after_ms: 1, to: ['security'] },
    }),
  );
  const sec = [{ user: 'sam', groups: ['security'] }];
  assert.equal(quorumProgress(r, sec).satisfied, false);
  assert.equal(quorumProgress(r, sec, ['big']).satisfied, true);
});

test('every clause must be satisfied', () => {
  const r = req(
    clause({ rule: 'one', from: ['data-owners'], quorum: 1 }),
    clause({ rule: 'two', from: ['security'], quorum: 1 }),
  );
  const p = quorumProgress(r, [{ user: 'alice', groups: ['data-owners'] }]);
  assert.equal(p.satisfied, false);
  assert.deepEqual(
    p.clauses.map((c) => c.satisfied),
    [true, false],
  );
  // one person in both pools satisfies both rules: each rule counts its own approvers
  assert.equal(
    quorumProgress(r, [{ user: 'bob', groups: ['data-owners', 'security'] }]).satisfied,
    true,
  );
});
