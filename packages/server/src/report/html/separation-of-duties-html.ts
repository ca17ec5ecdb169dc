import { cards, sectionHead, table, when } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { ApprovalsSection } from '../soc2-report.js';

/** Renders who decided and the refused votes (separation of duties). */
export function approvalsHtml(s: ApprovalsSection): SafeHtml {
  const other = Object.entries(s.refused.other);
  return markup`<section>
    ${sectionHead('separation-of-duties', s)}
    ${cards([
      [s.refused.self_approval_forbidden, 'self-approval attempts refused'],
      [s.refused.not_eligible, 'not-eligible votes refused'],
      [s.interested_party_approvals.length, 'approvals by an interested party'],
    ])}
    <h3>Decisions by approver</h3>
    ${table(
      ['approver', { num: 'approvals' }, { num: 'denials' }, { num: 'break-glass' }],
      s.by_approver.map((a) => [a.user, a.approvals, a.denials, a.break_glass]),
    )}
    <h3>Refused votes (${s.refused_attempts.length})</h3>
    ${other.length === 0 ? '' : markup`<p class="meta">Other refusals: ${other.map(([c, n]) => `${c} ${n}`).join(', ')}.</p>`}
    ${table(
      ['when', 'user', 'request', 'vote', 'refused with', 'channel'],
      s.refused_attempts.map((r) => [
        when(r.at),
        r.user,
        markup`<code>${r.request_id}</code>`,
        r.vote,
        markup`<code>${r.code}</code>`,
        r.channel,
      ]),
    )}
    <h3>Approvals by an interested party</h3>
    <p class="meta">
      Counted approvals by the person a request acted for or an owner of its agent, per the
      directory now. The gateway refuses these; a row here means ownership changed after the vote,
      and deserves a look.
    </p>
    ${table(
      ['request', 'user', 'when'],
      s.interested_party_approvals.map((r) => [
        markup`<code>${r.request_id}</code>`,
        r.user,
        when(r.at),
      ]),
      'None.',
    )}
  </section>`;
}
