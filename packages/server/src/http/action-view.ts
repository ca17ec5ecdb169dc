import type { ActionRecord } from '@countersign/core';
import type { ActionView } from './schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** The API's representation of a request: times as RFC 3339, the policy trace as `explanation`. */
export function actionView(r: ActionRecord): ActionView {
  return {
    id: r.id,
    status: r.status,
    decision: r.decision,
    reason: r.reason,
    rules: r.rules,
    digest: r.digest,
    policy_version: r.policy_version,
    agent: { id: r.agent_id },
    action: r.action,
    resource: r.resource,
    environment: r.environment,
    params: r.params,
    justification: r.justification,
    risk: r.risk,
    on_behalf_of: r.on_behalf_of,
    context: r.context,
    callback_url: r.callback_url,
    idempotency_key: r.idempotency_key,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    expires_at: isoOrNull(r.expires_at),
    decided_at: isoOrNull(r.decided_at),
    approval: r.approval,
    explanation: r.trace,
    result: r.result && {
      outcome: r.result.outcome,
      detail: r.result.detail,
      at: iso(r.result.at),
    },
  };
}
