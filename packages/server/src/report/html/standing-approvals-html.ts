import { cards, sectionHead, table, when } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { StandingApprovalsSection } from '../soc2-report.js';

/** Renders the standing approvals of the period: scope, people, uses, revocation. */
export function standingApprovalsHtml(s: StandingApprovalsSection): SafeHtml {
  return markup`<section>
    ${sectionHead('standing-approvals', s)}
    ${cards([
      [s.items.length, 'standing approvals'],
      [s.requests_approved, 'requests they approved'],
      [s.items.filter((i) => i.revoked_at !== null).length, 'revoked'],
    ])}
    ${table(
      [
        'id',
        'agent',
        'action',
        'env',
        'rules',
        'scope',
        'endorsers',
        'created',
        'expires',
        { num: 'uses' },
        'requests in the period',
        'status',
      ],
      s.items.map((i) => [
        markup`<code>${i.id}</code>`,
        i.agent,
        markup`<code>${i.action}</code>`,
        i.environment,
        i.rules.join(', '),
        markup`<code>${i.scope}</code>`,
        i.endorsers.map((e) => `${e.user} (${e.channel}, ${when(e.at)})`).join('; '),
        when(i.created_at),
        when(i.expires_at),
        `${i.uses} of ${i.max_uses}`,
        i.requests.join(', ') || '–',
        i.revoked_at === null
          ? i.status
          : `revoked ${when(i.revoked_at)} by ${i.revoked_by ?? '?'}${i.revoke_reason ? `: ${i.revoke_reason}` : ''}`,
      ]),
    )}
  </section>`;
}
