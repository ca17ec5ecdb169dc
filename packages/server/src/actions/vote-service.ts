import {
  CountersignError,
  apiVoteEvidence,
  judgeVote,
  newId,
  type ActionRecord,
  type StandingApproval,
  type StandingAsk,
  type Vote,
  type VoteChannel,
  type VoteChoice,
  type VoteRefusalCode,
} from '@countersign/core';
import type { Directory } from '../config/directory.js';
import type { Principal } from '../auth/principal.js';
import type { ActionWriter, WriteScope } from './action-writer.js';
import { partiesOf } from './parties.js';
import { VoteRefusal } from './vote-refusal.js';
import { actionVoteCounted, actionVoteRefused } from '../audit/audit-events.js';
import type { StandingApprovals } from './standing-approvals.js';

export interface VoteInput {
  vote: VoteChoice;
  comment?: string | undefined;
  /** Set from how the voter authenticated, never from anything the client sends. */
  channel: VoteChannel;
  /** SHA-256 of the verified raw channel payload (voteEvidence); the API body's when absent. */
  evidence?: string | undefined;
  /** Force-approve as a break-glass user named by the rule; `comment` is then mandatory. */
  break_glass?: boolean | undefined;
  /** Also approve the same kind of action ahead of time (docs/fatigue.md): approvals only. */
  standing?: StandingAsk | undefined;
}

export interface VoteResult {
  record: ActionRecord;
  votes: Vote[];
  /** The standing approval the vote created (`input.standing`). */
  standing_approval?: StandingApproval | undefined;
}

type VoteOutcome = { refused: CountersignError } | VoteResult;

/**
 * The counted vote `user` casts on request `actionId` now: one shape for a single vote and for
 * each item of a batch (batch-vote-service.ts). `comment` is already trimmed (null when empty).
 */
export function countedVote(
  user: Principal,
  actionId: string,
  input: Pick<VoteInput, 'vote' | 'channel'>,
  fields: { comment: string | null; at: number; evidence: string; breakGlass: boolean },
): Vote {
  return {
    id: newId('vote', fields.at),
    action_id: actionId,
    user: user.id,
    vote: input.vote,
    comment: fields.comment,
    channel: input.channel,
    at: fields.at,
    evidence: fields.evidence,
    groups: [...user.groups],
    outcome: 'counted',
    code: null,
    break_glass: fields.breakGlass,
  };
}

/**
 * One human's vote on one request, from any channel (API, CLI, web, Slack, Teams): every
 * channel ends here, and the decision is core's judgeVote, so expiry, separation of duties,
 * break-glass, step-up and the quorum are the same everywhere.
 *
 * Each vote runs in one transaction with the request row locked: lock, judge, then apply the
 * verdict: record the vote (refused ones too, with their code) and its audit entry, and make
 * the transition it calls for (signing the grant when it approves). Concurrent votes are
 * serialised, so exactly one of them makes the terminal transition.
 */
export class VoteService {
  constructor(
    private readonly writer: ActionWriter,
    private readonly directory: Directory,
    /** Told of each counted vote once committed (metrics/vote-metrics.ts); must not throw. */
    private readonly onCounted?: (vote: Vote, record: ActionRecord) => void,
    /** Standing approvals a vote may create (actions/standing-approvals.ts). */
    private readonly standing?: StandingApprovals,
  ) {}

  async vote(principal: Principal, id: string, input: VoteInput): Promise<VoteResult> {
    if (principal.kind !== 'user') {
      // An agent credential can never vote (PRODUCT.md non-negotiable 2).
      throw new CountersignError('forbidden', 'only people vote; this is an agent token');
    }
    const outcome = await this.writer.write(
      { kind: 'user', id: principal.id },
      (w) => this.decide(w, principal, id, input),
      id,
    );
    if ('refused' in outcome) throw outcome.refused;
    if (outcome.standing_approval) this.standing?.committed(outcome.standing_approval);
    // decide() appends the vote it counted last.
    const cast = outcome.votes.at(-1);
    if (cast) this.onCounted?.(cast, outcome.record);
    return outcome;
  }

  private async decide(
    w: WriteScope,
    user: Principal,
    id: string,
    input: VoteInput,
  ): Promise<VoteOutcome> {
    const record = await w.tx.lock(id);
    if (!record) return { refused: new CountersignError('not_found', `no action ${id}`) };
    const priorVotes = await w.tx.votes(id);
    const comment = input.comment?.trim() || null;
    const verdict = judgeVote({
      record,
      voter: user,
      vote: input.vote,
      channel: input.channel,
      breakGlass: input.break_glass === true,
      comment,
      priorVotes,
      parties: partiesOf(this.directory, record),
      now: w.now,
    });
    if (verdict.verdict === 'invalid') {
      return { refused: new CountersignError(verdict.code, verdict.message) };
    }
    // A standing approval rides on a counted approval; a refused one records nothing of it.
    const proposal =
      input.standing && verdict.verdict === 'counted'
        ? this.#judgeStanding(record, user, input, w.now)
        : undefined;
    if (proposal && !proposal.ok) {
      return { refused: new CountersignError(proposal.code, proposal.message) };
    }

    const vote = countedVote(user, id, input, {
      comment,
      at: w.now,
      evidence:
        input.evidence ??
        apiVoteEvidence({ action_id: id, vote: input.vote, comment: input.comment ?? null }),
      breakGlass: input.break_glass === true,
    });
    const refuse = async (code: VoteRefusalCode, message: string): Promise<VoteOutcome> => {
      const refused: Vote = { ...vote, outcome: 'refused', code };
      await w.tx.addVote(refused);
      w.audit(actionVoteRefused(w.actor, refused));
      return { refused: new VoteRefusal(code, message) };
    };

    if (verdict.verdict === 'refused') {
      if (verdict.expire) {
        // The deadline passed before the scheduler's tick: expire it now (fail closed).
        const expired = await w.tx.transition(id, 'pending', 'expired', w.now, {
          reason: verdict.expire.reason,
        });
        if (expired) await w.changed(expired, 'action.decided');
      }
      return refuse(verdict.code, verdict.message);
    }

    // The row lock serialises votes, so judgeVote saw every earlier vote; the store's unique
    // index on counted votes stays the backstop.
    if (!(await w.tx.addVote(vote))) {
      return refuse('already_voted', 'you have already voted on this request');
    }
    w.audit(actionVoteCounted(w.actor, vote));
    const votes = [...priorVotes, vote];
    const standing_approval =
      proposal && this.standing
        ? await this.standing.create(w, record, user, input.channel, proposal)
        : undefined;
    const extra = standing_approval ? { standing_approval } : {};

    switch (verdict.then) {
      case 'denied': {
        const denied = await w.tx.transition(id, 'pending', 'denied', w.now, {
          reason: verdict.reason,
        });
        if (denied) await w.changed(denied, 'action.decided', votes);
        return { record: denied ?? record, votes, ...extra };
      }
      case 'approved': {
        const approved = await w.approve(record, verdict.approvers, verdict.basis, verdict.reason);
        return { record: approved ?? record, votes, ...extra };
      }
      case 'pending':
        await w.changed(record, 'action.voted', votes);
        return { record, votes, ...extra };
    }
  }

  #judgeStanding(record: ActionRecord, user: Principal, input: VoteInput, now: number) {
    if (input.vote !== 'approve' || input.break_glass === true) {
      const message = 'standing goes with an approval (not a deny, not break-glass)';
      return { ok: false as const, code: 'invalid_request' as const, message };
    }
    if (!this.standing) {
      const message = 'standing approvals are not available on this gateway';
      return { ok: false as const, code: 'standing_not_allowed' as const, message };
    }
    return this.standing.judge(record, user, input.standing as StandingAsk, input.channel, now);
  }
}
