import {
  newId,
  type ActionRecord,
  type ActionRequestInput,
  type ApprovalRequirement,
  type PolicyDecision,
  type Status,
} from '@countersign/core';

/**
 * A request as the policy left it: approved or denied at once, or pending with its deadline
 * and first escalation. The grant, if approved, is added by the caller before it is stored.
 */
export function newActionRecord(
  agentId: string,
  input: ActionRequestInput,
  digest: string,
  decision: PolicyDecision,
  now: number,
): ActionRecord {
  const status: Status =
    decision.decision === 'allow'
      ? 'approved'
      : decision.decision === 'deny'
        ? 'denied'
        : 'pending';
  return {
    id: newId('act', now),
    agent_id: agentId,
    idempotency_key: input.idempotency_key ?? null,
    action: input.action,
    resource: input.resource,
    environment: input.environment,
    params: input.params,
    justification: input.justification ?? null,
    risk: input.risk ?? null,
    on_behalf_of: input.on_behalf_of ?? null,
    context: input.context ?? null,
    callback_url: input.callback_url ?? null,
    digest,
    status,
    decision: decision.decision,
    reason: decision.reason,
    rules: decision.rules,
    trace: decision.trace,
    approval: decision.approval ?? null,
    policy_version: decision.policy_version,
    created_at: now,
    updated_at: now,
    expires_at: decision.approval ? now + decision.approval.timeout_ms : null,
    decided_at: status === 'pending' ? null : now,
    result: null,
    escalate_at: firstEscalation(decision.approval, now),
    escalated_rules: [],
    break_glass: false,
    grant: null,
  };
}

/** The earliest escalation deadline among the clauses that have not escalated yet. */
export function firstEscalation(
  approval: ApprovalRequirement | null | undefined,
  since: number,
  escalated: readonly string[] = [],
): number | null {
  const afters = (approval?.clauses ?? []).flatMap((c) =>
    c.escalate && !escalated.includes(c.rule) ? [c.escalate.after_ms] : [],
  );
  return afters.length === 0 ? null : since + Math.min(...afters);
}
