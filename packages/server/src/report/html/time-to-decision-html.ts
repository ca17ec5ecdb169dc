import { histogramSvg } from './histogram-svg.js';
import { cards, duration, sectionHead, table } from './html-parts.js';
import { markup, type SafeHtml } from './safe-html.js';
import type { TimeToDecisionSection } from '../soc2-report.js';

/** Renders the time-to-decision histogram and its table. */
export function timeToDecisionHtml(s: TimeToDecisionSection): SafeHtml {
  return markup`<section>
    ${sectionHead('time-to-decision', s)}
    ${cards([
      [s.decided, 'decided by people'],
      [duration(s.p50_ms), 'p50 (median)'],
      [duration(s.p90_ms), 'p90'],
      [s.undecided.expired, 'expired undecided'],
    ])}
    ${s.decided === 0 ? markup`<p class="none">No request was decided by people in this period.</p>` : histogramSvg(s.buckets, s.p50_ms, s.p90_ms)}
    ${table(
      ['time from request to decision', { num: 'requests' }],
      s.buckets.map((b) => [b.label, b.count]),
    )}
    <p class="meta">
      Percentiles by nearest rank over the ${s.decided} requests approved or denied by people;
      ${s.undecided.expired} expired, ${s.undecided.cancelled} cancelled and ${s.undecided.pending}
      still pending are not decisions and are left out.
    </p>
  </section>`;
}
