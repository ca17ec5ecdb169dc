import { sectionHead, table, when } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { ApproverGroupsSection } from '../soc2-report.js';

/** Renders the approver groups as configured when the report is made. */
export function approverGroupsHtml(s: ApproverGroupsSection): SafeHtml {
  return markup`<section>
    ${sectionHead('approver-groups', s)}
    <p class="warn">
      Membership as configured when this report was made (${when(s.as_of)}), not as it was during
      the period; each vote above records the voter's groups at the time of the vote.
    </p>
    ${table(
      ['group', 'members', 'approves for rules', 'escalation for rules'],
      s.groups.map((g) => [
        markup`<b>${g.id}</b
          >${g.description === null ? '' : markup`<br /><span class="meta">${g.description}</span>`}`,
        g.members.length === 0
          ? markup`<span class="none">nobody</span>`
          : g.members.map(
              (m, i) =>
                markup`${i > 0 ? ', ' : ''}${m.id}${m.email === null ? '' : markup` <span class="meta">&lt;${m.email}&gt;</span>`}`,
            ),
        g.approves_for.join(', ') || '–',
        g.escalation_for.join(', ') || '–',
      ]),
      'No groups are configured.',
    )}
    <h3>Break-glass users</h3>
    ${table(
      ['user', 'rules'],
      s.break_glass_users.map((b) => [b.user, b.rules.join(', ')]),
      'No rule names break-glass users.',
    )}
    <p>
      Administrators:
      ${s.admins.length === 0 ? markup`<span class="none">none</span>` : s.admins.join(', ')}.
    </p>
  </section>`;
}
