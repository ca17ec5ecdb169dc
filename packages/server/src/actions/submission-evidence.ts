import type { ActionRecord } from '@countersign/core';
import type { AuditEvent } from '../audit/audit-log.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Two audit entries for a submission: what was asked (fields the policy names in `redact` are
 * HMAC'd by the log), and what the policy said, with the outcome and, for a decision by policy,
 * the grant's id and expiry.
 */
export function submissionEvidence(record: ActionRecord): Array<Omit<AuditEvent, 'actor'>> {
  return [
    {
      type: 'action.submitted',
      request_id: record.id,
      redact: true,
      data: {
        action: record.action,
        resource: record.resource,
        environment: record.environment,
        params: record.params,
        justification: record.justification,
        risk: record.risk,
        on_behalf_of: record.on_behalf_of,
        context: record.context,
        idempotency_key: record.idempotency_key,
        digest: record.digest,
      },
    },
    {
      type: 'action.decided_by_policy',
      request_id: record.id,
      data: {
        decision: record.decision,
        status: record.status,
        rules: record.rules,
        reason: record.reason,
        policy_version: record.policy_version,
        expires_at: record.expires_at === null ? null : iso(record.expires_at),
        approval: record.approval,
        grant: record.grant
          ? { jti: record.grant.jti, expires_at: iso(record.grant.expires_at) }
          : null,
      },
    },
  ];
}
