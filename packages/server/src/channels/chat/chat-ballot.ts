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
