import { standingStatus, type ActionRecord, type StandingApproval } from '@countersign/core';
import { iso } from './request-row.js';
import type { StandingApprovalsSection } from './soc2-report.js';

/**
 * The approvals given ahead of time: who stood behind each, for what scope and how long, how
 * often it was used in the period and whether it was revoked. A request a standing approval
 * approved has no vote of its own; this is where its approvers are named.
 */
export function standingApprovals(
  standing: readonly StandingApproval[],
  requests: readonly ActionRecord[],
  now: number,
): StandingApprovalsSection {
  const used = new Map<string, string[]>();
  for (const r of requests) {
    if (!r.standing_approval_id) continue;
    const ids = used.get(r.standing_approval_id) ?? [];
    ids.push(r.id);
    used.set(r.standing_approval_id, ids);
  }
  return {
    title: 'Standing approvals',
    criteria: ['CC6.1', 'CC6.3'],
    why:
      'Approvals given ahead of time are bounded (one agent, action and environment, a scope, a ' +
      'use count and an expiry), stand for the same quorum of distinct eligible people as one ' +
      'request, and are revoked when their rule or their people change, so access granted in ' +
      'advance stays restricted (CC6.1) and segregated (CC6.3); each is listed with its people ' +
      'and uses.',
    items: standing.map((sa) => ({
      id: sa.id,
      status: standingStatus(sa, now),
      agent: sa.agent_id,
      action: sa.action,
      environment: sa.environment,
      rules: sa.rules,
      scope: sa.scope.kind === 'digest' ? `digest ${sa.scope.digest}` : sa.scope.when,
      created_at: iso(sa.created_at),
      expires_at: iso(sa.expires_at),
      endorsers: sa.endorsers.map((e) => ({ user: e.user, at: iso(e.at), channel: e.channel })),
      max_uses: sa.max_uses,
      uses: sa.uses,
      requests: used.get(sa.id) ?? [],
      revoked_at: sa.revoked_at === null ? null : iso(sa.revoked_at),
      revoked_by: sa.revoked_by,
      revoke_reason: sa.revoke_reason,
    })),
    requests_approved: [...used.values()].reduce((n, ids) => n + ids.length, 0),
  };
}
