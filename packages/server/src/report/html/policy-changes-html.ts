import { sectionHead, table, when } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { PolicyChangesSection } from '../soc2-report.js';

/** Renders the policy loads of the period and the versions requests were decided under. */
export function policyChangesHtml(s: PolicyChangesSection): SafeHtml {
  return markup`<section>${sectionHead('policy-changes', s)}
<p${s.source === 'requests' ? markup` class="warn"` : ''}>${s.note}</p>
${
  s.source === 'audit_log'
    ? markup`<h3>Policy loads recorded in the audit log (${s.changes.length})</h3>
        ${table(
          ['when', 'version', 'changed', 'by', 'trigger', { num: 'log index' }],
          s.changes.map((c) => [
            when(c.at),
            markup`<code>${c.version}</code>`,
            c.changed ? markup`<b>changed</b>` : 'same as before',
            c.actor,
            c.trigger ?? '–',
            c.index,
          ]),
        )}`
    : ''
}
<h3>Policy versions requests were decided under</h3>
${table(
  ['version', 'first request', 'last request', { num: 'requests' }],
  s.versions_seen.map((v) => [
    markup`<code>${v.version}</code>`,
    when(v.first_seen),
    when(v.last_seen),
    v.requests,
  ]),
)}
</section>`;
}
