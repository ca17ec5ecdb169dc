import { cards, duration, sectionHead, table } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { LoadFigures, ReviewerLoadSection } from '../soc2-report.js';

const rate = (r: number | null): string => (r === null ? '–' : `${Math.round(r * 100)} %`);
const perDay = (n: number): string => n.toFixed(1);

const FIGURE_HEADERS = [
  { num: 'approvals' },
  { num: 'denials' },
  { num: 'approval rate' },
  { num: 'p50' },
  { num: 'p90' },
  { num: 'fast approvals' },
  { num: 'requests' },
  { num: 'per day' },
] as const;

const figureCells = (f: LoadFigures) => [
  f.approvals,
  f.denials,
  rate(f.approval_rate),
  duration(f.p50_ms),
  duration(f.p90_ms),
  f.fast_approvals,
  f.requests,
  perDay(f.requests_per_day),
];

/** Renders the reviewer-load section: per reviewer, then per rule, with the threshold stated. */
export function reviewerLoadHtml(s: ReviewerLoadSection): SafeHtml {
  const threshold = duration(s.fast_approval_threshold_ms);
  return markup`<section>
    ${sectionHead('reviewer-load', s)}
    ${cards([
      [s.votes, 'votes cast'],
      [s.fast_approvals, `fast approvals (≤ ${threshold})`],
      [s.reviewers.length, 'reviewers'],
    ])}
    <h3>Per reviewer</h3>
    ${table(
      ['reviewer', ...FIGURE_HEADERS, 'busiest day'],
      s.reviewers.map((r) => [
        r.user,
        ...figureCells(r),
        r.busiest_day ? `${r.busiest_day.date} (${r.busiest_day.requests})` : '–',
      ]),
    )}
    <h3>Per rule</h3>
    ${table(
      ['rule', ...FIGURE_HEADERS],
      s.rules.map((r) => [r.rule, ...figureCells(r)]),
    )}
    <p class="meta">
      A fast approval is one cast at most ${threshold} after the request's first notification
      was delivered (after its creation when none was delivered before the vote). Times are
      nearest-rank percentiles of that delay over approvals and denials. Requests per day
      divide by the period's ${s.days} days: a reviewer's are the requests they voted on, a
      rule's the requests it sent to people.
    </p>
  </section>`;
}
