import type { ActionRecord, Vote, VoteChannel, VoteChoice } from '../model/action-record.js';
import {
  reviewGroups,
  reviewerStanding,
  type RequestParties,
  type Reviewer,
} from '../lifecycle/reviewer-standing.js';
import { channelMayApprove } from './channel-may-approve.js';
import { quorumProgress } from './quorum.js';

/** Everything a vote is judged on, read under the request's row lock. */
export interface VoteCase {
  /** The request as locked for this vote. */
  record: Pick<ActionRecord, 'status' | 'expires_at' | 'approval' | 'escalated_rules'>;
  /** The human voting, with their groups now (an agent never gets this far). */
  voter: Reviewer;
  vote: VoteChoice;
  /** Set by how the voter authenticated (token, web session, Slack signature, Teams JWT). */
  channel: VoteChannel;
  breakGlass: boolean;
  /** Trimmed; null when empty. */
  comment: string | null;
  /** The votes already on this request, counted and refused. */
  priorVotes: readonly Pick<Vote, 'user' | 'vote' | 'groups' | 'outcome'>[];
  /** The requesting side (server: actions/parties.ts). */
  parties: RequestParties;
  now: number;
}

/** The codes a vote is refused with; the refused vote is recorded with its code. */
export type VoteRefusalCode =
  | 'request_expired'
  | 'already_decided'
  | 'self_approval_forbidden'
  | 'not_eligible'
  | 'step_up_required'
  | 'already_voted';

export type VoteVerdict =
  /** Not a well-formed vote: nothing is recorded against the request. */
  | { verdict: 'invalid'; code: 'invalid_request'; message: string }
  /**
   * Refused: the vote is recorded as refused, with `code`. With `expire`, the request's
   * deadline has passed unnoticed: it becomes `expired` (fail closed) before the refusal.
   */
  | {
      verdict: 'refused';
      code: VoteRefusalCode;
      message: string;
      expire?: { reason: string };
    }
  /** Counted, and the request stays pending (a quorum not yet met). */
  | { verdict: 'counted'; then: 'pending' }
  /** Counted, and it denies the request. */
  | { verdict: 'counted'; then: 'denied'; reason: string }
  /** Counted, and it approves the request: a grant is signed for `approvers`. */
  | {
      verdict: 'counted';
      then: 'approved';
      basis: 'quorum' | 'break_glass';
      approvers: string[];
      reason: string;
    };

const refused = (code: VoteRefusalCode, message: string): VoteVerdict => ({
  verdict: 'refused',
  code,
  message,
});

/**
 * The one ballot box: whether a vote counts and what it does to the request, for every
 * channel (API, CLI, web, Slack, Teams). Pure: the caller locks the request, reads its votes,
 * and applies the verdict in the same transaction.
 *
 * The checks run in this order, and the first that fails decides the code:
 * 1. the request is still pending and its deadline has not passed (a passed deadline expires
 *    it now: fail closed, even if the scheduler has not ticked yet);
 * 2. separation of duties: nobody on the requesting side votes, break-glass included
 *    (PRODUCT.md non-negotiable 2);
 * 3. break-glass only for a user a rule names; otherwise the voter must be in a reviewing group;
 * 4. `step_up: web`: an approval counts only through the channel authentication says it came
 *    through, and only the web session is single sign-on (denying needs no step-up);
 * 5. one counted vote per person;
 * then a deny ends the request, a break-glass approval approves it, and an approval approves
 * it once every clause's quorum is met (quorumProgress).
 *
 * @example
 * const v = judgeVote({ record, voter: { id: 'alice', groups: ['data-owners'] },
 *   vote: 'approve', channel: 'api', breakGlass: false, comment: null,
 *   priorVotes: [], parties, now: Date.now() });
 * if (v.verdict === 'counted' && v.then === 'approved') signGrant(v.approvers);
 */
export function judgeVote(c: VoteCase): VoteVerdict {
  if (c.breakGlass && c.vote !== 'approve') {
    return { verdict: 'invalid', code: 'invalid_request', message: 'break-glass is for approving' };
  }
  if (c.breakGlass && !c.comment) {
    return {
      verdict: 'invalid',
      code: 'invalid_request',
      message: 'a break-glass approval needs a reason in comment',
    };
  }

  const { record } = c;
  if (record.status === 'expired') return refused('request_expired', 'the request has expired');
  if (record.status !== 'pending') {
    return refused('already_decided', `the request is already ${record.status}`);
  }
  if (record.expires_at !== null && record.expires_at <= c.now) {
    return {
      verdict: 'refused',
      code: 'request_expired',
      message: 'the request has expired',
      expire: {
        reason: `no decision before ${new Date(record.expires_at).toISOString()}; expired (fail closed)`,
      },
    };
  }

  const standing = reviewerStanding(
    c.voter,
    c.parties,
    record.approval ? reviewGroups(record.approval, record.escalated_rules) : [],
  );
  if (standing === 'self_approval_forbidden') {
    return refused(
      'self_approval_forbidden',
      'you requested this action, own its agent, or it acts for you',
    );
  }
  if (c.breakGlass) {
    const named = record.approval?.clauses.some((cl) => cl.break_glass.includes(c.voter.id));
    if (!named) return refused('not_eligible', 'no rule of this request names you for break-glass');
  } else if (standing === 'not_eligible') {
    return refused('not_eligible', 'you are not in a group that reviews this request');
  }
  if (c.vote === 'approve' && !channelMayApprove(record.approval, c.channel)) {
    return refused(
      'step_up_required',
      'a rule of this request needs approval through the web inbox (step_up: web)',
    );
  }
  const counted = c.priorVotes.filter((v) => v.outcome === 'counted');
  if (counted.some((v) => v.user === c.voter.id)) {
    return refused('already_voted', 'you have already voted on this request');
  }

  if (c.vote === 'deny') {
    return {
      verdict: 'counted',
      then: 'denied',
      reason: `denied by ${c.voter.id}${c.comment ? `: ${c.comment}` : ''}`,
    };
  }
  if (c.breakGlass) {
    return {
      verdict: 'counted',
      then: 'approved',
      basis: 'break_glass',
      approvers: [c.voter.id],
      reason: `break-glass approval by ${c.voter.id}: ${c.comment ?? ''}`,
    };
  }
  const approvals = [
    ...counted.filter((v) => v.vote === 'approve'),
    { user: c.voter.id, groups: c.voter.groups },
  ];
  const met =
    record.approval !== null &&
    quorumProgress(
      record.approval,
      approvals.map((v) => ({ user: v.user, groups: v.groups })),
      record.escalated_rules,
    ).satisfied;
  if (!met) return { verdict: 'counted', then: 'pending' };
  const approvers = approvals.map((v) => v.user);
  return {
    verdict: 'counted',
    then: 'approved',
    basis: 'quorum',
    approvers,
    reason: `approved by ${approvers.join(', ')}`,
  };
}
