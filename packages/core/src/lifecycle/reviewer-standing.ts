import type { ApprovalRequirement } from '../policy/types.js';
import { clausePool } from '../approvals/quorum.js';

export interface Reviewer {
  id: string;
  groups: readonly string[];
}

/** The people on the requesting side of a request: none of them may approve it. */
export interface RequestParties {
  agent_id: string;
  agent_owners: readonly string[];
  on_behalf_of: string | null;
}

export type Standing = 'eligible' | 'self_approval_forbidden' | 'not_eligible';

/**
 * Whether `user` is on the requesting side: the person the request acts for, an owner of the
 * requesting agent, or the agent itself. The one test behind separation of duties (PRODUCT.md
 * non-negotiable 2), the inbox's "may read" and the SOC 2 report's interested-party count.
 */
export function isRequestingParty(user: string, parties: RequestParties): boolean {
  return (
    user === parties.on_behalf_of ||
    parties.agent_owners.includes(user) ||
    user === parties.agent_id
  );
}

/**
 * The groups whose members may review a request: every clause's pool (its `from`, its group
 * minimums, and its escalation groups once that rule has escalated).
 */
export function reviewGroups(
  approval: ApprovalRequirement,
  escalatedRules: readonly string[] = [],
): string[] {
  const groups = new Set<string>();
  for (const clause of approval.clauses) {
    for (const g of clausePool(clause, escalatedRules.includes(clause.rule))) groups.add(g);
  }
  return [...groups];
}

/**
 * Whether a human may vote on a request (PRODUCT.md non-negotiable 2). Separation of duties
 * is checked first and wins over group membership: an owner of the requesting agent, or the
 * person it acts for, is refused as `self_approval_forbidden` even when they are in the
 * approving group. Admins get no exemption.
 */
export function reviewerStanding(
  reviewer: Reviewer,
  parties: RequestParties,
  groups: readonly string[],
): Standing {
  if (isRequestingParty(reviewer.id, parties)) return 'self_approval_forbidden';
  return reviewer.groups.some((g) => groups.includes(g)) ? 'eligible' : 'not_eligible';
}
