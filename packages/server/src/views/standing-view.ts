import { standingStatus, type StandingApproval } from '@countersign/core';
import type { StandingApprovalView } from '../http/schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The API's representation of a standing approval: its status at `now`, times as RFC 3339. */
export function standingView(
  sa: StandingApproval,
  now: number,
  usesLog?: readonly string[],
): StandingApprovalView {
  return {
    id: sa.id,
    status: standingStatus(sa, now),
    source_action_id: sa.source_action_id,
    agent_id: sa.agent_id,
    action: sa.action,
    environment: sa.environment,
    rules: sa.rules,
    rule_fingerprints: sa.rule_fingerprints,
    approval: sa.approval,
    scope: sa.scope,
    max_uses: sa.max_uses,
    uses: sa.uses,
    expires_at: iso(sa.expires_at),
    created_at: iso(sa.created_at),
    created_by: sa.created_by,
    endorsers: sa.endorsers.map((e) => ({
      user: e.user,
      groups: e.groups,
      channel: e.channel,
      at: iso(e.at),
    })),
    revoked_at: sa.revoked_at === null ? null : iso(sa.revoked_at),
    revoked_by: sa.revoked_by,
    revoke_reason: sa.revoke_reason,
    ...(usesLog ? { uses_log: [...usesLog] } : {}),
  };
}
