import { cards, sectionHead, table, when } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import {
  OUTCOMES,
  type CountRow,
  type DecisionVote,
  type Outcome,
  type PrivilegedActionsSection,
} from '../soc2-report.js';

const OUTCOME_LABEL: Record<Outcome, string> = {
  allowed_by_policy: 'allowed by policy',
  denied_by_policy: 'denied by policy',
  approved: 'approved',
  denied: 'denied by reviewer',
  expired: 'expired (fail closed)',
  cancelled: 'cancelled',
  pending: 'pending',
};

const countTable = (first: string, rows: readonly CountRow[]) =>
  table(
    [first, { num: 'total' }, ...OUTCOMES.map((o) => ({ num: OUTCOME_LABEL[o] }))],
    rows.map((r) => [
      markup`<code>${r.key}</code>`,
      r.total,
      ...OUTCOMES.map((o) => r.outcomes[o]),
    ]),
  );

const vote = (v: DecisionVote) =>
  markup`<li>
    <b>${v.user}</b> ${when(v.at)} via
    ${v.channel}${v.break_glass ? markup` <span class="flag">BREAK-GLASS</span>` : ''}${v.comment === null ? '' : markup`: “${v.comment}”`}
  </li>`;

/** Renders the privileged-actions section: counts three ways, then every request people decided. */
export function privilegedActionsHtml(s: PrivilegedActionsSection): SafeHtml {
  return markup`<section>
    ${sectionHead('privileged-actions', s)}
    ${cards(OUTCOMES.map((o) => [s.by_outcome[o], OUTCOME_LABEL[o]]))}
    <h3>By action type</h3>
    ${countTable('action', s.by_action)}
    <h3>By environment</h3>
    ${countTable('environment', s.by_environment)}
    <h3>Requests that needed approval (${s.approval_requests.length})</h3>
    <p class="meta">
      Times are UTC. Parameters are shown after redaction: fields the policy lists under
      <code>redact</code> read <code>[redacted]</code>.
    </p>
    ${table(
      [
        'id',
        'action',
        'resource',
        'env',
        'agent',
        'requested',
        'status',
        'decided',
        'approvers (who, when, how)',
        'break-glass',
        'params',
      ],
      s.approval_requests.map((r) => [
        markup`<code>${r.id}</code>`,
        markup`<code>${r.action}</code>`,
        markup`<code>${r.resource}</code>`,
        r.environment,
        markup`${r.agent}${r.on_behalf_of === null ? '' : markup`<br /><span class="meta">for ${r.on_behalf_of}</span>`}`,
        when(r.requested_at),
        r.status,
        when(r.decided_at),
        r.approvers.length === 0 && r.denied_by === null
          ? markup`<span class="none">–</span>`
          : markup`<ul class="votes">
              ${r.approvers.map(vote)}${
                r.denied_by
                  ? markup`<li class="bad">denied:</li>
                      ${vote(r.denied_by)}`
                  : ''
              }
            </ul>`,
        r.break_glass ? markup`<span class="flag">yes</span>` : 'no',
        markup`<code>${JSON.stringify(r.params)}</code>`,
      ]),
    )}
  </section>`;
}
