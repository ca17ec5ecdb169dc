import {
  isRequestingParty,
  type ActionRecord,
  type StandingApproval,
  type Vote,
} from '@countersign/core';
import type { Directory } from '../config/directory.js';
import { partiesOf } from '../actions/parties.js';
import type { DirectoryHistory } from './directory-history.js';
import { iso } from './request-row.js';
import type { ApprovalsSection } from './soc2-report.js';

export interface SeparationOfDutiesInput {
  requests: readonly ActionRecord[];
  /** Every vote on those requests. */
  votes: readonly Vote[];
  /** Refused votes cast in the period, on any request. */
  refused: readonly Vote[];
  directory: Directory;
  /** The directory through time: an agent's owners as they were at each vote, when recorded. */
  history?: DirectoryHistory | undefined;
  /** The standing approvals of the period: their endorsers approved the requests they matched. */
  standing?: readonly StandingApproval[] | undefined;
}

/**
 * Who decided, and the attempts the gateway refused. A refused self-approval is the control
 * working, so its count is evidence in itself; a counted approval by an interested party
 * would be the control failing, so we look for those independently of the vote path.
 */
export function separationOfDuties(input: SeparationOfDutiesInput): ApprovalsSection {
  const byUser = new Map<
    string,
    { user: string; approvals: number; denials: number; break_glass: number }
  >();
  const counted = input.votes.filter((v) => v.outcome === 'counted');
  for (const v of counted) {
    let u = byUser.get(v.user);
    if (!u) byUser.set(v.user, (u = { user: v.user, approvals: 0, denials: 0, break_glass: 0 }));
    if (v.vote === 'approve') u.approvals++;
    else u.denials++;
    if (v.break_glass) u.break_glass++;
  }
  const other: Record<string, number> = {};
  let selfApproval = 0;
  let notEligible = 0;
  for (const v of input.refused) {
    if (v.code === 'self_approval_forbidden') selfApproval++;
    else if (v.code === 'not_eligible') notEligible++;
    else other[v.code ?? 'unknown'] = (other[v.code ?? 'unknown'] ?? 0) + 1;
  }
  const byId = new Map(input.requests.map((r) => [r.id, r]));
  const interestedAt = (user: string, r: ActionRecord, at: number): boolean => {
    const parties = partiesOf(input.directory, r);
    const then = input.history?.at(at)?.agents[r.agent_id];
    return isRequestingParty(user, then ? { ...parties, agent_owners: then.owners } : parties);
  };
  const interested = counted
    .filter((v) => {
      const r = byId.get(v.action_id);
      return r !== undefined && v.vote === 'approve' && interestedAt(v.user, r, v.at);
    })
    .map((v) => ({ request_id: v.action_id, user: v.user, at: v.at }));
  // A standing approval's endorsers approved each request it matched, at the time it matched.
  const standing = new Map((input.standing ?? []).map((sa) => [sa.id, sa]));
  for (const r of input.requests) {
    const sa = r.standing_approval_id ? standing.get(r.standing_approval_id) : undefined;
    const at = r.decided_at ?? r.created_at;
    for (const e of sa?.endorsers ?? []) {
      if (interestedAt(e.user, r, at)) interested.push({ request_id: r.id, user: e.user, at });
    }
  }
  return {
    title: 'Who approved, and separation of duties',
    criteria: ['CC6.3'],
    why:
      'Each approval names a distinct person other than the requester, the person it acts for and ' +
      "the agent's owners, and attempts to approve one's own request were refused and recorded, " +
      'which is segregation of duties enforced by the system rather than by convention (CC6.3).',
    by_approver: [...byUser.values()].sort(
      (a, b) => b.approvals + b.denials - (a.approvals + a.denials) || a.user.localeCompare(b.user),
    ),
    refused: { self_approval_forbidden: selfApproval, not_eligible: notEligible, other },
    refused_attempts: input.refused.map((v) => ({
      request_id: v.action_id,
      user: v.user,
      vote: v.vote,
      code: v.code ?? 'unknown',
      at: iso(v.at),
      channel: v.channel,
    })),
    interested_party_approvals: interested.map((v) => ({ ...v, at: iso(v.at) })),
  };
}
