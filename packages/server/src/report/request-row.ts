import type { ActionRecord, Vote } from '@countersign/core';
import { ReportRedactor } from './report-redactor.js';
import type { DecisionVote, Outcome, RequestRow } from './soc2-report.js';

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Policy and people together: see `Outcome`. */
export function outcomeOf(decision: string, status: string): Outcome {
  if (decision === 'allow') return 'allowed_by_policy';
  if (decision === 'deny') return 'denied_by_policy';
  switch (status) {
    case 'approved':
    case 'completed':
    case 'failed':
      return 'approved';
    case 'denied':
    case 'expired':
    case 'cancelled':
      return status;
    default:
      return 'pending';
  }
}

/**
 * A request as the report prints it: redacted fields replaced, every string scrubbed of the
 * redacted values, and the counted votes that decided it. Refused votes are not decisions;
 * the separation-of-duties section lists them.
 */
export function requestRow(
  r: ActionRecord,
  votes: readonly Vote[],
  redactor: ReportRedactor,
): RequestRow {
  const f = redactor.fields(r);
  const scrub = (s: string) => ReportRedactor.scrub(s, f.secrets);
  const decisionVote = (v: Vote): DecisionVote => ({
    user: v.user,
    at: iso(v.at),
    channel: v.channel,
    comment: v.comment === null ? null : scrub(v.comment),
    break_glass: v.break_glass,
  });
  const counted = votes.filter((v) => v.action_id === r.id && v.outcome === 'counted');
  const deny = counted.find((v) => v.vote === 'deny');
  return {
    id: r.id,
    action: scrub(r.action),
    resource: scrub(f.resource),
    environment: scrub(r.environment),
    agent: r.agent_id,
    on_behalf_of: r.on_behalf_of,
    requested_at: iso(r.created_at),
    status: r.status,
    outcome: outcomeOf(r.decision, r.status),
    decided_at: r.decided_at === null ? null : iso(r.decided_at),
    rules: r.rules,
    policy_version: r.policy_version,
    justification: f.justification === null ? null : scrub(f.justification),
    params: ReportRedactor.scrubJson(f.params, f.secrets),
    reason: scrub(r.reason),
    approvers: counted.filter((v) => v.vote === 'approve').map(decisionVote),
    denied_by: deny ? decisionVote(deny) : null,
    break_glass: r.break_glass,
    standing_approval_id: r.standing_approval_id ?? null,
  };
}
