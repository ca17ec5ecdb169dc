import { sectionHead, table, when } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { ApproverGroupsSection } from '../soc2-report.js';

const CHANGE: Record<string, string> = {
  'directory.user_added': 'user added',
  'directory.user_removed': 'user removed',
  'directory.group_added': 'group added',
  'directory.group_removed': 'group removed',
  'directory.group_member_added': 'added to group',
  'directory.group_member_removed': 'removed from group',
  'directory.agent_added': 'agent added',
  'directory.agent_removed': 'agent removed',
  'directory.agent_owner_added': 'agent owner added',
  'directory.agent_owner_removed': 'agent owner removed',
  'directory.admin_granted': 'made administrator',
  'directory.admin_revoked': 'administrator role removed',
  'directory.auditor_granted': 'made auditor',
  'directory.auditor_revoked': 'auditor role removed',
};

/** Renders who could approve during the period: membership at its start, changes, eligibility. */
export function approverGroupsHtml(s: ApproverGroupsSection): SafeHtml {
  const basis =
    s.source === 'audit_log'
      ? markup`<p>
          Membership as recorded in the audit log at ${when(s.as_of)} (the directory has been
          recorded since ${when(s.recorded_since)}), then every change recorded during the period.
        </p>`
      : markup`<p class="warn">
          The audit log holds no record of the directory before the end of the period: membership
          below is as configured when this report was made (${when(s.as_of)}), not as it was
          during the period.
        </p>`;
  return markup`<section>
    ${sectionHead('approver-groups', s)}
    ${basis}
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
    <h3>Directory changes during the period</h3>
    ${table(
      ['at', 'change', 'user', 'group', 'agent'],
      s.changes.map((c) => [
        when(c.at),
        CHANGE[c.type] ?? c.type,
        c.user ?? '–',
        c.group ?? '–',
        c.agent ?? '–',
      ]),
      s.source === 'audit_log' ? 'No change recorded in this period.' : 'Not recorded.',
    )}
    <h3>Was each approver eligible when approving?</h3>
    <p>
      ${
        s.ineligible_approvals === 0
          ? markup`No approval came from someone outside the request's approver groups at the time.`
          : markup`<b class="warn">${String(s.ineligible_approvals)} approval(s)</b> came from someone
            the recorded directory did not place in an approver group at the time.`
      }
    </p>
    ${table(
      ['request', 'approver', 'at', 'basis', 'groups then', 'eligible'],
      s.eligibility.map((e) => [
        e.request_id,
        e.user,
        when(e.at),
        e.basis === 'break_glass' ? 'break-glass' : 'group',
        e.groups_then.join(', ') || '–',
        e.eligible === null ? 'not recorded' : e.eligible ? 'yes' : markup`<b>NO</b>`,
      ]),
      'No approvals in this period.',
    )}
    <h3>Break-glass users</h3>
    ${table(
      ['user', 'rules'],
      s.break_glass_users.map((b) => [b.user, b.rules.join(', ')]),
      'No rule names break-glass users.',
    )}
    <p>
      Administrators at ${when(s.as_of)}:
      ${s.admins.length === 0 ? markup`<span class="none">none</span>` : s.admins.join(', ')}.
    </p>
  </section>`;
}
