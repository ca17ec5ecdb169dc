import type { ActionRecord, GrantBasis, GrantRef } from '@countersign/core';

/** Why a request was approved: shown in the grant (`basis`) so a target system can tell. */
export type ApprovalBasis = GrantBasis;

/**
 * Signs a grant for an approved request. Called by the action service before the approval is
 * written, so the grant lands in the same transaction as the state change: a request is never
 * approved without its grant, and never has two.
 */
export interface GrantIssuer {
  issue(
    record: ActionRecord,
    approvers: readonly string[],
    basis: ApprovalBasis,
    options?: IssueOptions,
  ): Promise<GrantRef>;
}

export interface IssueOptions {
  /**
   * The caller computed `record.digest` from `record`'s own action fields moments ago (a new
   * submission): the issuer need not compute the canonical JSON again to check it. A record
   * read back from the store is always re-checked.
   */
  digestJustComputed?: boolean;
}
