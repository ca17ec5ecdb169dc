import { CountersignError, type VoteRefusalCode } from '@countersign/core';

/**
 * A vote the ballot box refused (judgeVote). By the time it is thrown, the refused vote and
 * its `action.vote_refused` audit entry are in the store, in the vote's own transaction.
 */
export class VoteRefusal extends CountersignError {
  constructor(code: VoteRefusalCode, message: string) {
    super(code, message);
  }
}

/**
 * Whether a refusal is already on the audit record, so a channel or the API's refusal
 * recorder must not write a second entry for it. The one answer to "already audited", asked
 * by the API (audit/refusal-recorder.ts), Slack and Teams alike: it is a property of the
 * refusal, not of its code (a `not_found` from the vote path is not recorded with a vote).
 */
export function alreadyAudited(e: unknown): boolean {
  return e instanceof VoteRefusal || e instanceof BatchRefusal;
}

/** One item of a refused batch: why it could not be decided, and its status if readable. */
export interface BatchItemRefused {
  id: string;
  code: string;
  status: string | null;
}

/**
 * A batch vote refused as a whole (judgeBatch): `items` names every item that could not be
 * decided as shown. By the time it is thrown its `action.batch_refused` entry is in the
 * store; no vote was recorded on any item.
 */
export class BatchRefusal extends CountersignError {
  constructor(
    message: string,
    readonly items: readonly BatchItemRefused[],
  ) {
    super('batch_changed', message, { items });
  }
}
