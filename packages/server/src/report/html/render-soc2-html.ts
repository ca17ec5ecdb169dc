import { cards, when } from './html-parts.js';
import { REPORT_CSS } from './report-css.js';
import { approverGroupsHtml } from './approver-groups-html.js';
import { exceptionsHtml } from './exceptions-html.js';
import { logIntegrityHtml } from './log-integrity-html.js';
import { policyChangesHtml } from './policy-changes-html.js';
import { privilegedActionsHtml } from './privileged-actions-html.js';
import { approvalsHtml } from './separation-of-duties-html.js';
import { reviewerLoadHtml } from './reviewer-load-html.js';
import { standingApprovalsHtml } from './standing-approvals-html.js';
import { timeToDecisionHtml } from './time-to-decision-html.js';
import { SafeHtml, markup } from './safe-html.js';
import type { SectionHeader, Soc2Report } from '../soc2-report.js';

/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script, no external
 * asset. The Content-Security-Policy forbids scripts and every fetch as a second line of
 * defence: even if some value escaped escaping, the page could run nothing and call nowhere.
 */
export function renderSoc2Html(r: Soc2Report): string {
  const sections: Array<[string, SectionHeader]> = [
    ['privileged-actions', r.privileged_actions],
    ['separation-of-duties', r.approvals],
    ['time-to-decision', r.time_to_decision],
    ['reviewer-load', r.reviewer_load],
    ['standing-approvals', r.standing_approvals],
    ['exceptions', r.exceptions],
    ['policy-changes', r.policy_changes],
    ['approver-groups', r.approver_groups],
    ['log-integrity', r.log_integrity],
  ];
  const integrity = r.log_integrity.status;
  const page = markup`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta
          http-equiv="Content-Security-Policy"
          content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        />
        <meta name="referrer" content="no-referrer" />
        <title>SOC 2 evidence: Countersign, ${r.period.from} to ${r.period.to}</title>
        <style>
          ${new SafeHtml(REPORT_CSS)}
        </style>
      </head>
      <body>
        <header>
          <h1>SOC 2 evidence: human approval of AI agents' privileged actions</h1>
          <p class="meta">
            Period ${r.period.from} to ${r.period.to} inclusive (UTC: ${when(r.period.start)} to
            ${when(r.period.end)}, end excluded) · generated ${when(r.generated_at)} by Countersign
            from its ${r.source.store} store · policy in force
            <code>${r.source.policy_version}</code> · redacted fields:
            ${r.source.redacted_paths.length === 0 ? 'none' : r.source.redacted_paths.join(', ')}
          </p>
          ${cards([
            [r.privileged_actions.total, 'privileged actions requested'],
            [r.privileged_actions.approval_requests.length, 'needed a human decision'],
            [r.exceptions.break_glass.length, 'break-glass approvals'],
            [r.approvals.refused.self_approval_forbidden, 'self-approvals refused'],
            [r.exceptions.expired.length, 'expired (fail closed)'],
            [
              integrity === 'verified' ? 'verified' : integrity === 'failed' ? 'FAILED' : 'n/a',
              'audit log integrity',
            ],
          ])}
          <nav>
            <h2>Contents</h2>
            <ol>
              ${sections.map(
                ([id, s]) =>
                  markup`<li><a href="#${id}">${s.title}</a>: ${s.criteria.join(', ')}</li>`,
              )}
            </ol>
          </nav>
        </header>
        <main>
          ${privilegedActionsHtml(r.privileged_actions)}
          ${approvalsHtml(r.approvals)}
          ${timeToDecisionHtml(r.time_to_decision)}
          ${reviewerLoadHtml(r.reviewer_load)}
          ${standingApprovalsHtml(r.standing_approvals)}
          ${exceptionsHtml(r.exceptions)}
          ${policyChangesHtml(r.policy_changes)}
          ${approverGroupsHtml(r.approver_groups)}
          ${logIntegrityHtml(r.log_integrity)}
        </main>
        <footer>
          Countersign SOC 2 evidence report, format ${r.format} v${r.version}. The same content is
          available as JSON (<code>countersign report soc2 --json</code>). Criteria are the AICPA
          2017 Trust Services Criteria; the one-sentence reasons are Countersign's mapping, for the
          auditor to evaluate.
        </footer>
      </body>
    </html>
`;
  return page.value;
}
