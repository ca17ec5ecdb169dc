import { markup, type SafeHtml } from './safe-html.js';
import type { Bucket } from '../soc2-report.js';

const W = 640;
const H = 280;
const TOP = 34;
const BOTTOM = 52;
const LEFT = 16;

/**
 * The time-to-decision histogram as inline SVG: no script, no external asset, scales with
 * the page (viewBox), prints as vectors, and carries a text alternative for screen readers.
 * The buckets holding the p50 and p90 are marked.
 */
export function histogramSvg(
  buckets: readonly Bucket[],
  p50: number | null,
  p90: number | null,
): SafeHtml {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const slot = (W - 2 * LEFT) / Math.max(1, buckets.length);
  const barW = slot * 0.62;
  const plotH = H - TOP - BOTTOM;
  const holds = (b: Bucket, ms: number | null) =>
    ms !== null && ms >= b.min_ms && (b.max_ms === null || ms < b.max_ms);
  const bars = buckets.map((b, i) => {
    const h = Math.round((b.count / max) * plotH);
    const x = LEFT + i * slot + (slot - barW) / 2;
    const y = TOP + plotH - h;
    const cx = x + barW / 2;
    const marks = [holds(b, p50) ? 'p50' : '', holds(b, p90) ? 'p90' : '']
      .filter(Boolean)
      .join(' · ');
    const mark = marks
      ? markup`<text class="mark" x="${cx.toFixed(1)}" y="${H - BOTTOM + 42}" text-anchor="middle">${marks}</text>`
      : '';
    return markup`
  <g>
    <rect class="bar" x="${x.toFixed(1)}" y="${y}" width="${barW.toFixed(1)}" height="${Math.max(h, 1)}" rx="3"></rect>
    <text class="count" x="${cx.toFixed(1)}" y="${y - 8}" text-anchor="middle">${b.count}</text>
    <text class="label" x="${cx.toFixed(1)}" y="${H - BOTTOM + 22}" text-anchor="middle">${b.label}</text>
    ${mark}
  </g>`;
  });
  const summary = buckets.map((b) => `${b.label}: ${b.count}`).join(', ');
  return markup`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="ttd-title ttd-desc" xmlns="http://www.w3.org/2000/svg">
  <title id="ttd-title">Time to decision, requests per bucket</title>
  <desc id="ttd-desc">${summary}</desc>
  <line class="axis" x1="${LEFT}" y1="${TOP + plotH + 0.5}" x2="${W - LEFT}" y2="${TOP + plotH + 0.5}"></line>
  ${bars}
  </svg>`;
}
