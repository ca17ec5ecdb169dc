import type { Selectable } from 'kysely';
import type {
  ActionRecord,
  ApprovalRequirement,
  Decision,
  JsonObject,
  Risk,
  RuleTrace,
  Status,
} from '@countersign/core';
import type { ActionsTable } from './schema.js';

type Row = Selectable<ActionsTable>;

const parse = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

/** Row ⇄ record. JSON columns are written once with JSON.stringify and read back verbatim. */
export function recordFromRow(row: Row): ActionRecord {
  const result = parse<{ outcome: 'completed' | 'failed'; detail: ActionRecord['result'] }>(
    row.result_detail,
  );
  return {
    id: row.id,
    agent_id: row.agent_id,
    idempotency_key: row.idempotency_key,
    action: row.action,
    resource: row.resource,
    environment: row.environment,
    params: JSON.parse(row.params) as JsonObject,
    justification: row.justification,
    risk: row.risk as Risk | null,
    on_behalf_of: row.on_behalf_of,
    context: parse<JsonObject>(row.context),
    callback_url: row.callback_url,
    digest: row.digest,
    status: row.status as Status,
    decision: row.decision as Decision,
    reason: row.reason,
    rules: JSON.parse(row.rules) as string[],
    trace: JSON.parse(row.trace) as RuleTrace[],
    approval: parse<ApprovalRequirement>(row.approval),
    policy_version: row.policy_version,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    expires_at: row.expires_at === null ? null : Number(row.expires_at),
    decided_at: row.decided_at === null ? null : Number(row.decided_at),
    result:
      result === null || row.result_at === null
        ? null
        : {
            outcome: result.outcome,
            detail: (result.detail ?? null) as never,
            at: Number(row.result_at),
          },
    escalate_at: row.escalate_at === null ? null : Number(row.escalate_at),
    escalated_rules: parse<string[]>(row.escalated_rules) ?? [],
    break_glass: Number(row.break_glass) === 1,
    grant:
      row.grant_token === null || row.grant_jti === null
        ? null
        : {
            token: row.grant_token,
            jti: row.grant_jti,
            expires_at: Number(row.grant_expires_at),
            redeemed_at: row.grant_redeemed_at === null ? null : Number(row.grant_redeemed_at),
          },
    standing_approval_id: row.standing_approval_id ?? null,
  };
}

/** `traceParent`: the submission span's context (telemetry/), kept beside the record, not in it. */
export function rowFromRecord(r: ActionRecord, traceParent: string | null = null): Row {
  return {
    id: r.id,
    agent_id: r.agent_id,
    idempotency_key: r.idempotency_key,
    action: r.action,
    resource: r.resource,
    environment: r.environment,
    params: JSON.stringify(r.params),
    justification: r.justification,
    risk: r.risk,
    on_behalf_of: r.on_behalf_of,
    context: r.context === null ? null : JSON.stringify(r.context),
    callback_url: r.callback_url,
    digest: r.digest,
    status: r.status,
    decision: r.decision,
    reason: r.reason,
    rules: JSON.stringify(r.rules),
    trace: JSON.stringify(r.trace),
    approval: r.approval === null ? null : JSON.stringify(r.approval),
    policy_version: r.policy_version,
    created_at: r.created_at,
    updated_at: r.updated_at,
    expires_at: r.expires_at,
    decided_at: r.decided_at,
    result_detail:
      r.result === null
        ? null
        : JSON.stringify({ outcome: r.result.outcome, detail: r.result.detail }),
    result_at: r.result?.at ?? null,
    escalate_at: r.escalate_at,
    escalated_rules: r.escalated_rules.length === 0 ? null : JSON.stringify(r.escalated_rules),
    break_glass: r.break_glass ? 1 : 0,
    grant_jti: r.grant?.jti ?? null,
    grant_token: r.grant?.token ?? null,
    grant_expires_at: r.grant?.expires_at ?? null,
    grant_redeemed_at: r.grant?.redeemed_at ?? null,
    trace_parent: traceParent,
    standing_approval_id: r.standing_approval_id ?? null,
  };
}
