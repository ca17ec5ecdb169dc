import type { BreakGlassRow, ExceptionRow, ExceptionsSection, RequestRow } from './soc2-report.js';

const exceptionRow = (r: RequestRow): ExceptionRow => ({
  id: r.id,
  action: r.action,
  resource: r.resource,
  environment: r.environment,
  agent: r.agent,
  requested_at: r.requested_at,
  decided_at: r.decided_at,
  rules: r.rules,
  reason: r.reason,
});

/**
 * Everything that did not end in a normal approval: policy denials, reviewer denials,
 * expiries (fail closed), cancellations, and each break-glass approval with the reason its
 * user gave, listed one by one for review after the fact.
 */
export function exceptions(rows: readonly RequestRow[]): ExceptionsSection {
  const where = (o: RequestRow['outcome']) => rows.filter((r) => r.outcome === o).map(exceptionRow);
  const breakGlass: BreakGlassRow[] = [];
  for (const r of rows) {
    if (!r.break_glass) continue;
    const vote = r.approvers.find((v) => v.break_glass) ?? r.approvers[0];
    breakGlass.push({
      ...exceptionRow(r),
      approved_by: vote?.user ?? 'unknown',
      approved_at: vote?.at ?? r.decided_at ?? r.requested_at,
      comment: vote?.comment ?? null,
      channel: vote?.channel ?? 'unknown',
    });
  }
  return {
    title: 'Denials, expiries, cancellations and break-glass',
    criteria: ['CC6.1', 'CC7.2'],
    why:
      'Requests that were denied or that nobody decided in time were refused (fail closed), which ' +
      'is access restricted by default (CC6.1); break-glass approvals bypass the quorum, so each ' +
      'is listed with its stated reason for review after the fact as a monitored exception (CC7.2).',
    denied_by_policy: where('denied_by_policy'),
    denied_by_reviewer: where('denied'),
    expired: where('expired'),
    cancelled: where('cancelled'),
    break_glass: breakGlass,
  };
}
