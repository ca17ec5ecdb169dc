/**
 * @module
 * The one ballot for chat channels (Slack, Teams): a vote clicked in a chat message, from an
 * already authenticated payload and an already mapped directory user, through the one vote
 * path. Each adapter is authenticate → map identity → {@link castChatVote} → render.
 */
import {
  CountersignError,
  type ActionRecord,
  type ErrorCode,
  type Vote,
  type VoteChoice,
} from '@countersign/core';
import type { VoteService } from '../../actions/vote-service.js';
import { alreadyAudited } from '../../actions/vote-refusal.js';
import type { Principal } from '../../auth/principal.js';
import type { User } from '../../config/directory.js';

/** One vote clicked in a chat message. */
export interface ChatVote {
  /** Set by the route that verified the payload (Slack signature, Teams JWT), never by it. */
  channel: 'slack' | 'teams';
  /** The directory user the chat account mapped to. */
  user: User;
  actionId: string;
  vote: VoteChoice;
  comment?: string | undefined;
  /** SHA-256 of the verified raw payload (voteEvidence). */
  evidence: string;
}

export interface ChatBallotDeps {
  votes: Pick<VoteService, 'vote'>;
  /**
   * Audits a refusal the vote service did not already record (a `not_found`, an agent
   * credential…), in the channel's own words (its account ids, its route).
   */
  audit(code: ErrorCode): Promise<void>;
}

export type ChatBallotResult =
  | { ok: true; record: ActionRecord; votes: Vote[] }
  /** `audited`: the vote service already recorded it (`action.vote_refused`), with the vote. */
  | { ok: false; refused: ErrorCode; message: string; audited: boolean };

/**
 * Casts a chat vote through `VoteService.vote`, which decides everything (expiry, separation
 * of duties, step-up by the authenticated channel, quorum). A refusal is audited exactly once:
 * by the vote service when it is a judged refusal (alreadyAudited), else here through
 * `deps.audit`. Errors that are not refusals (the store failing) propagate.
 */
export async function castChatVote(
  ballot: ChatVote,
  deps: ChatBallotDeps,
): Promise<ChatBallotResult> {
  const { user, channel } = ballot;
  try {
    const { record, votes } = await deps.votes.vote(chatPrincipal(user, channel), ballot.actionId, {
      vote: ballot.vote,
      comment: ballot.comment,
      channel,
      evidence: ballot.evidence,
    });
    return { ok: true, record, votes };
  } catch (e) {
    if (!(e instanceof CountersignError)) throw e;
    const audited = alreadyAudited(e);
    if (!audited) await deps.audit(e.code);
    return { ok: false, refused: e.code, message: e.message, audited };
  }
}

/** The principal a chat vote is cast as: the mapped user, authenticated by the channel. */
export function chatPrincipal(user: User, channel: 'slack' | 'teams'): Principal {
  return {
    kind: 'user',
    id: user.id,
    tokenId: channel,
    groups: user.groups,
    admin: user.admin,
    auditor: user.auditor,
  };
}

/** A batch decision clicked in a chat message: the items the message showed, no others. */
export interface ChatBatchVote {
  channel: 'slack' | 'teams';
  user: User;
  items: { id: string; digest: string }[];
  vote: VoteChoice;
  comment?: string | undefined;
  evidence: string;
}

/** The batch half of the vote service, as the chat channels call it. */
export interface BatchVoter {
  voteBatch(
    principal: Principal,
    items: { id: string; digest: string }[],
    input: {
      vote: VoteChoice;
      comment?: string | undefined;
      channel: 'slack' | 'teams';
      evidence?: string;
    },
  ): Promise<unknown>;
}

export type ChatBatchResult =
  | { ok: true; count: number }
  /** `changed`: the items that could not be decided as shown, and why (409 `batch_changed`). */
  | {
      ok: false;
      refused: ErrorCode;
      message: string;
      changed: { id: string; code: string; status: string | null }[];
    };

/**
 * Casts a batch vote through `VoteService.voteBatch`, which decides all the items or none and
 * audits a refusal itself (`action.batch_refused`); other refusals (an agent credential, a
 * malformed list) are audited here through `deps.audit`, once.
 */
export async function castChatBatchVote(
  ballot: ChatBatchVote,
  deps: { votes: BatchVoter; audit(code: ErrorCode): Promise<void> },
): Promise<ChatBatchResult> {
  const { user, channel } = ballot;
  try {
    await deps.votes.voteBatch(chatPrincipal(user, channel), ballot.items, {
      vote: ballot.vote,
      comment: ballot.comment,
      channel,
      evidence: ballot.evidence,
    });
    return { ok: true, count: ballot.items.length };
  } catch (e) {
    if (!(e instanceof CountersignError)) throw e;
    const raw = e.extra.items;
    const changed = Array.isArray(raw)
      ? raw.flatMap((i: unknown) => {
          const o = i as { id?: unknown; code?: unknown; status?: unknown };
          return typeof o.id === 'string' && typeof o.code === 'string'
            ? [{ id: o.id, code: o.code, status: typeof o.status === 'string' ? o.status : null }]
            : [];
        })
      : [];
    if (e.code !== 'batch_changed' && !alreadyAudited(e)) await deps.audit(e.code);
    return { ok: false, refused: e.code, message: e.message, changed };
  }
}

/** Why an item kept a batch from being decided, in a reviewer's words. */
export const BATCH_REASONS: Record<string, string> = {
  already_decided: 'already decided',
  digest_mismatch: 'changed since the message was posted',
  not_alike: 'no longer alike the others',
  not_found: 'not found',
  self_approval_forbidden: 'you may not approve it (self-approval)',
  not_eligible: 'you are not in a group that reviews it',
  already_voted: 'you already voted on it',
  step_up_required: 'needs approval in the web inbox',
  request_expired: 'expired',
};

/** The answer to a batch click, in the clicker's words. */
export function batchAnswer(result: ChatBatchResult, vote: VoteChoice, link: string): string {
  if (result.ok) {
    return `Your ${vote === 'approve' ? 'approval' : 'denial'} of ${result.count} requests was counted, one vote each.`;
  }
  if (result.changed.length === 0) return `Nothing was counted: ${result.message}`;
  const items = result.changed
    .map(
      (c) => `${c.id}: ${BATCH_REASONS[c.code] ?? c.code}${c.status ? ` (now ${c.status})` : ''}`,
    )
    .join('; ');
  return `Nothing was counted: ${result.changed.length} of the requests changed. ${items}. Review them again: ${link}`;
}
