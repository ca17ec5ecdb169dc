import { cards, sectionHead, table, when } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { ExceptionRow, ExceptionsSection } from '../soc2-report.js';

const exceptionTable = (rows: readonly ExceptionRow[]) =>
  table(
    ['id', 'action', 'resource', 'env', 'agent', 'requested', 'decided', 'rules', 'reason'],
    rows.map((r) => [
      markup`<code>${r.id}</code>`,
      markup`<code>${r.action}</code>`,
      markup`<code>${r.resource}</code>`,
      r.environment,
      r.agent,
      when(r.requested_at),
      when(r.decided_at),
      r.rules.join(', '),
      r.reason,
    ]),
  );

/** Renders denials, expiries, cancellations and each break-glass use. */
export function exceptionsHtml(s: ExceptionsSection): SafeHtml {
  return markup`<section>
    ${sectionHead('exceptions', s)}
    ${cards([
      [s.denied_by_policy.length, 'denied by policy'],
      [s.denied_by_reviewer.length, 'denied by reviewers'],
      [s.expired.length, 'expired (fail closed)'],
      [s.cancelled.length, 'cancelled'],
      [s.break_glass.length, 'break-glass approvals'],
    ])}
    <h3>Break-glass approvals, for review (${s.break_glass.length})</h3>
    ${table(
      [
        'id',
        'action',
        'resource',
        'env',
        'agent',
        'requested',
        'approved by',
        'approved at',
        'channel',
        'stated reason',
      ],
      s.break_glass.map((r) => [
        markup`<code>${r.id}</code>`,
        markup`<code>${r.action}</code>`,
        markup`<code>${r.resource}</code>`,
        r.environment,
        r.agent,
        when(r.requested_at),
        markup`<b>${r.approved_by}</b>`,
        when(r.approved_at),
        r.channel,
        r.comment ?? '–',
      ]),
    )}
    <h3>Denied by reviewers (${s.denied_by_reviewer.length})</h3>
    ${exceptionTable(s.denied_by_reviewer)}
    <h3>Expired without a decision: refused (${s.expired.length})</h3>
    ${exceptionTable(s.expired)}
    <h3>Cancelled by the requester (${s.cancelled.length})</h3>
    ${exceptionTable(s.cancelled)}
    <h3>Denied by policy (${s.denied_by_policy.length})</h3>
    ${exceptionTable(s.denied_by_policy)}
  </section>`;
}
