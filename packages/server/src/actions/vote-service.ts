import { createHash } from 'node:crypto';
import {
  CountersignError,
  canonicalJson,
  channelMayApprove,
  newId,
  quorumProgress,
  reviewGroups,
  reviewerStanding,
  type ActionRecord,
  type Channel,
  type ErrorCode,
  type Vote,
  type VoteChoice,
} from '@countersign/core';
import type { Directory } from '../config/directory.js';
import type { Principal } from '../auth/principal.js';
import type { ActionWriter, WriteScope } from './action-writer.js';
import { partiesOf } from './parties.js';

export interface VoteInput {
  vote: VoteChoice;
  comment?: string | undefined;
  channel: Channel;
  /** SHA-256 of the verified raw channel payload; the API body's digest when absent. */
  evidence?: string | undefined;
  /** Force-approve as a break-glass user named by the rule; `comment` is then mandatory. */
  break_glass?: boolean | undefined;
}

type VoteOutcome =
  { refused: ErrorCode; message: string } | { record: ActionRecord; votes: Vote[] };

/**
 * One human's vote on one request, from any channel (API, CLI, web, Slack, Teams): every
 * channel ends here, so separation of duties and the quorum are the same everywhere.
 *
 * Each vote runs in one transaction with the request row locked: read the state, check the
 * deadline and the voter's standing at this moment, record the vote (refused ones too, with
 * their code), and, if this vote completes the quorum, approve and sign the grant. Concurrent
 * votes are serialised, so exactly one of them makes the terminal transition.
 */
export class VoteService {
  constructor(
    private readonly writer: ActionWriter,
    private readonly directory: Directory,
  ) {}

  async vote(
    principal: Principal,
    id: string,
    input: VoteInput,
  ): Promise<{ record: ActionRecord; votes: Vote[] }> {
    if (principal.kind !== 'user') {
      // An agent credential can never vote (PRODUCT.md non-negotiable 2).
      throw new CountersignError('forbidden', 'only people vote; this is an agent token');
    }
    if (input.break_glass && input.vote !== 'approve') {
      throw new CountersignError('invalid_request', 'break-glass is for approving');
    }
    if (input.break_glass && !input.comment?.trim()) {
      throw new CountersignError(
        'invalid_request',
        'a break-glass approval needs a reason in comment',
      );
    }
    const outcome = await this.writer.write({ kind: 'user', id: principal.id }, (w) =>
      this.decide(w, principal, id, input),
    );
    if ('refused' in outcome) throw new CountersignError(outcome.refused, outcome.message);
    return outcome;
  }

  private async decide(
    w: WriteScope,
    user: Principal,
    id: string,
    input: VoteInput,
  ): Promise<VoteOutcome> {
    const record = await w.tx.lock(id);
    if (!record) return { refused: 'not_found', message: `no action ${id}` };
    const vote: Vote = {
      id: newId('vote', w.now),
      action_id: id,
      user: user.id,
      vote: input.vote,
      comment: input.comment?.trim() || null,
      channel: input.channel,
      at: w.now,
      evidence:
        input.evidence ??
        `sha256:${createHash('sha256')
          .update(
            canonicalJson({ action_id: id, vote: input.vote, comment: input.comment ?? null }),
          )
          .digest('hex')}`,
      groups: [...user.groups],
      outcome: 'counted',
      code: null,
      break_glass: input.break_glass === true,
    };
    const evidence = (v: Vote) => ({
      vote: v.vote,
      comment: v.comment,
      channel: v.channel,
      evidence: v.evidence,
      groups: v.groups,
      break_glass: v.break_glass,
      ...(v.code ? { code: v.code } : {}),
    });
    const refuse = async (code: ErrorCode, message: string): Promise<VoteOutcome> => {
      const refused: Vote = { ...vote, outcome: 'refused', code };
      await w.tx.addVote(refused);
      w.audit({ type: 'action.vote_refused', request_id: id, data: evidence(refused) });
      return { refused: code, message };
    };

    if (record.status === 'expired') return refuse('request_expired', 'the request has expired');
    if (record.status !== 'pending')
      return refuse('already_decided', `the request is already ${record.status}`);
    if (record.expires_at !== null && record.expires_at <= w.now) {
      // The deadline passed before the scheduler's tick: expire it now, then refuse (fail closed).
      const expired = await w.tx.transition(id, 'pending', 'expired', w.now, {
        reason: `no decision before ${new Date(record.expires_at).toISOString()}; expired (fail closed)`,
      });
      if (expired) await w.changed(expired, 'action.decided');
      return refuse('request_expired', 'the request has expired');
    }

    const standing = reviewerStanding(
      user,
      partiesOf(this.directory, record),
      record.approval ? reviewGroups(record.approval, record.escalated_rules) : [],
    );
    if (standing === 'self_approval_forbidden') {
      return refuse(
        'self_approval_forbidden',
        'you requested this action, own its agent, or it acts for you',
      );
    }
    const breakGlassUsers = record.approval?.clauses.flatMap((c) => c.break_glass) ?? [];
    if (input.break_glass && !breakGlassUsers.includes(user.id)) {
      return refuse('not_eligible', 'no rule of this request names you for break-glass');
    }
    if (standing === 'not_eligible' && !input.break_glass) {
      return refuse('not_eligible', 'you are not in a group that reviews this request');
    }
    if (input.vote === 'approve' && !channelMayApprove(record.approval, input.channel)) {
      return refuse(
        'step_up_required',
        'a rule of this request needs approval through the web inbox (step_up: web)',
      );
    }
    if (!(await w.tx.addVote(vote)))
      return refuse('already_voted', 'you have already voted on this request');
    w.audit({ type: 'action.vote_counted', request_id: id, data: evidence(vote) });

    const votes = await w.tx.votes(id);
    const counted = votes.filter((v) => v.outcome === 'counted');
    if (input.vote === 'deny') {
      const denied = await w.tx.transition(id, 'pending', 'denied', w.now, {
        reason: `denied by ${user.id}${vote.comment ? `: ${vote.comment}` : ''}`,
      });
      if (denied) await w.changed(denied, 'action.decided', votes);
      return { record: denied ?? record, votes };
    }
    if (input.break_glass) {
      const approved = await w.approve(
        record,
        [user.id],
        'break_glass',
        `break-glass approval by ${user.id}: ${vote.comment ?? ''}`,
      );
      return { record: approved ?? record, votes };
    }
    const approvals = counted.filter((v) => v.vote === 'approve');
    const progress = record.approval
      ? quorumProgress(
          record.approval,
          approvals.map((v) => ({ user: v.user, groups: v.groups })),
          record.escalated_rules,
        )
      : { satisfied: false };
    if (progress.satisfied) {
      const approvers = approvals.map((v) => v.user);
      const approved = await w.approve(
        record,
        approvers,
        'quorum',
        `approved by ${approvers.join(', ')}`,
      );
      return { record: approved ?? record, votes };
    }
    await w.changed(record, 'action.voted', votes);
    return { record, votes };
  }
}
