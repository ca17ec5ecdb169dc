import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeVote, type VoteCase, type VoteVerdict } from './judge-vote.js';
import type { ApprovalClause, ApprovalRequirement } from '../policy/types.js';

const NOW = Date.UTC(2026, 0, 1);
const clause = (c: Partial<ApprovalClause> = {}): ApprovalClause => ({
  rule: 'export',
  from: ['data-owners'],
  groups: [],
  quorum: 2,
  break_glass: ['carol'],
  ...c,
});
const requirement = (...clauses: ApprovalClause[]): ApprovalRequirement => ({
  clauses: clauses.length ? clauses : [clause()],
  timeout_ms: 60_000,
  on_timeout: 'deny',
  justification_required: false,
});
const alice = { id: 'alice', groups: ['data-owners'] };
const frank = { id: 'frank', groups: ['data-owners'] };
const counted = (user: string, vote: 'approve' | 'deny' = 'approve') => ({
  user,
  vote,
  groups: ['data-owners'],
  outcome: 'counted' as const,
});

/** A pending two-person export, alice voting approve through the API, nobody voted yet. */
const base: VoteCase = {
  record: {
    status: 'pending',
    expires_at: NOW + 60_000,
    approval: requirement(),
    escalated_rules: [],
  },
  voter: alice,
  vote: 'approve',
  channel: 'api',
  breakGlass: false,
  comment: null,
  priorVotes: [],
  parties: { agent_id: 'exporter', agent_owners: ['bob'], on_behalf_of: null },
  now: NOW,
};
const withRecord = (r: Partial<VoteCase['record']>): Partial<VoteCase> => ({
  record: { ...base.record, ...r },
});
const stepUp = requirement(clause({ step_up: 'web' }));
const quorumOfOne = requirement(clause({ quorum: 1 }));

/** Situation → the verdict's short form: `refused:<code>`, `invalid:<code>`, `counted→<then>`. */
const TABLE: Array<[string, Partial<VoteCase>, string]> = [
  // status and expiry
  ['a first approval of a two-person quorum', {}, 'counted→pending'],
  ['the request has expired', withRecord({ status: 'expired' }), 'refused:request_expired'],
  ['the request was denied', withRecord({ status: 'denied' }), 'refused:already_decided'],
  ['the request was approved', withRecord({ status: 'approved' }), 'refused:already_decided'],
  ['the request was cancelled', withRecord({ status: 'cancelled' }), 'refused:already_decided'],
  [
    'the deadline passed before the scheduler noticed',
    withRecord({ expires_at: NOW }),
    'refused:request_expired+expire',
  ],
  ['no deadline at all', withRecord({ expires_at: null }), 'counted→pending'],
  // separation of duties
  [
    'an owner of the requesting agent',
    { voter: { id: 'bob', groups: ['data-owners'] } },
    'refused:self_approval_forbidden',
  ],
  [
    'the person the request acts for',
    { parties: { ...base.parties, on_behalf_of: 'alice' } },
    'refused:self_approval_forbidden',
  ],
  [
    'the person the request acts for, denying',
    { vote: 'deny', parties: { ...base.parties, on_behalf_of: 'alice' } },
    'refused:self_approval_forbidden',
  ],
  [
    'an agent owner using break-glass',
    {
      voter: { id: 'carol', groups: [] },
      parties: { ...base.parties, agent_owners: ['carol'] },
      breakGlass: true,
      comment: 'down',
    },
    'refused:self_approval_forbidden',
  ],
  [
    'someone outside every reviewing group',
    { voter: { id: 'dave', groups: ['platform'] } },
    'refused:not_eligible',
  ],
  [
    'an escalation group before the rule escalated',
    {
      voter: { id: 'sam', groups: ['security'] },
      ...withRecord({
        approval: requirement(clause({ escalate: { after_ms: 1, to: ['security'] } })),
      }),
    },
    'refused:not_eligible',
  ],
  [
    'an escalation group after the rule escalated',
    {
      voter: { id: 'sam', groups: ['security'] },
      ...withRecord({
        approval: requirement(clause({ quorum: 1, escalate: { after_ms: 1, to: ['security'] } })),
        escalated_rules: ['export'],
      }),
    },
    'counted→approved:quorum',
  ],
  // break-glass
  [
    'break-glass by a named user with a reason',
    { voter: { id: 'carol', groups: [] }, breakGlass: true, comment: 'prod is down' },
    'counted→approved:break_glass',
  ],
  [
    'break-glass by a user no rule names',
    { breakGlass: true, comment: 'urgent' },
    'refused:not_eligible',
  ],
  [
    'break-glass without a reason',
    { voter: { id: 'carol', groups: [] }, breakGlass: true },
    'invalid:invalid_request',
  ],
  [
    'break-glass to deny',
    { voter: { id: 'carol', groups: [] }, vote: 'deny', breakGlass: true, comment: 'x' },
    'invalid:invalid_request',
  ],
  [
    'break-glass through the API on a step_up: web rule',
    {
      voter: { id: 'carol', groups: [] },
      breakGlass: true,
      comment: 'down',
      ...withRecord({ approval: requirement(clause({ step_up: 'web' })) }),
    },
    'refused:step_up_required',
  ],
  // step-up by the authenticated channel
  [
    'an API token approving a step_up: web rule',
    withRecord({ approval: stepUp }),
    'refused:step_up_required',
  ],
  [
    'a Slack click approving a step_up: web rule',
    { channel: 'slack', ...withRecord({ approval: stepUp }) },
    'refused:step_up_required',
  ],
  [
    'a Teams click approving a step_up: web rule',
    { channel: 'teams', ...withRecord({ approval: stepUp }) },
    'refused:step_up_required',
  ],
  [
    'a web session approving a step_up: web rule',
    { channel: 'web', ...withRecord({ approval: stepUp }) },
    'counted→pending',
  ],
  [
    'an API token denying a step_up: web rule',
    { vote: 'deny', ...withRecord({ approval: stepUp }) },
    'counted→denied',
  ],
  [
    'step-up on one clause of two binds the whole request',
    {
      ...withRecord({
        approval: requirement(
          clause({ quorum: 1 }),
          clause({ rule: 'sec', from: ['data-owners'], quorum: 1, step_up: 'web' }),
        ),
      }),
    },
    'refused:step_up_required',
  ],
  // one vote each
  ['a second vote by the same person', { priorVotes: [counted('alice')] }, 'refused:already_voted'],
  [
    'a vote after an earlier refused one',
    { priorVotes: [{ ...counted('alice'), outcome: 'refused' }] },
    'counted→pending',
  ],
  // the quorum and the deny
  [
    'the approval that completes the quorum',
    { priorVotes: [counted('frank')] },
    'counted→approved:quorum',
  ],
  [
    'a refused approval from a second person does not count toward the quorum',
    { priorVotes: [{ ...counted('frank'), outcome: 'refused' }] },
    'counted→pending',
  ],
  [
    'a single approval of a quorum of one',
    withRecord({ approval: quorumOfOne }),
    'counted→approved:quorum',
  ],
  [
    'a deny by an eligible reviewer',
    { vote: 'deny', priorVotes: [counted('frank')] },
    'counted→denied',
  ],
  [
    'one person in two required groups does not fill both seats',
    {
      voter: { id: 'erin', groups: ['security', 'platform'] },
      ...withRecord({
        approval: requirement(
          clause({
            from: [],
            groups: [
              { group: 'security', min: 1 },
              { group: 'platform', min: 1 },
            ],
          }),
        ),
      }),
    },
    'counted→pending',
  ],
];

function short(v: VoteVerdict): string {
  if (v.verdict === 'invalid') return `invalid:${v.code}`;
  if (v.verdict === 'refused') return `refused:${v.code}${v.expire ? '+expire' : ''}`;
  return v.then === 'approved' ? `counted→approved:${v.basis}` : `counted→${v.then}`;
}

for (const [situation, change, expected] of TABLE) {
  test(`judgeVote: ${situation} → ${expected}`, () => {
    assert.equal(short(judgeVote({ ...base, ...change })), expected);
  });
}

test('judgeVote names the approvers and the reasons the request record keeps', () => {
  const quorum = judgeVote({ ...base, voter: frank, priorVotes: [counted('alice')] });
  assert.deepEqual(quorum, {
    verdict: 'counted',
    then: 'approved',
    basis: 'quorum',
    approvers: ['alice', 'frank'],
    reason: 'approved by alice, frank',
  });
  const deny = judgeVote({ ...base, vote: 'deny', comment: 'needs a DPA' });
  assert.deepEqual(deny, {
    verdict: 'counted',
    then: 'denied',
    reason: 'denied by alice: needs a DPA',
  });
  const late = judgeVote({ ...base, ...withRecord({ expires_at: NOW - 1 }) });
  assert.equal(
    late.verdict === 'refused' && late.expire?.reason,
    `no decision before ${new Date(NOW - 1).toISOString()}; expired (fail closed)`,
  );
});
