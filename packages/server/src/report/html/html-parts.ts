import { markup, type HtmlValue, type SafeHtml } from './safe-html.js';
import type { SectionHeader } from '../soc2-report.js';
import { TRUST_CRITERIA } from '../trust-criteria.js';

/** `2025-03-01T12:00:03.412Z` → `2025-03-01 12:00:03Z`: seconds are enough to read, the JSON keeps ms. */
export const when = (iso: string | null): string =>
  iso === null ? '–' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function duration(ms: number | null): string {
  if (ms === null) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A scrollable table; `num` columns are right-aligned. An empty list says so instead. */
export function table(
  headers: ReadonlyArray<string | { num: string }>,
  rows: ReadonlyArray<readonly HtmlValue[]>,
  empty = 'None in this period.',
): SafeHtml {
  if (rows.length === 0) return markup`<p class="none">${empty}</p>`;
  const head = headers.map((h) =>
    typeof h === 'string'
      ? markup`<th scope="col">${h}</th>`
      : markup`<th scope="col" class="num">${h.num}</th>`,
  );
  const body = rows.map(
    (cells) =>
      markup`<tr>
        ${cells.map((c, i) => {
          const h = headers[i];
          return typeof h === 'object' ? markup`<td class="num">${c}</td>` : markup`<td>${c}</td>`;
        })}
      </tr>`,
  );
  return markup`<div class="scroll">
    <table>
      <thead>
        <tr>
          ${head}
        </tr>
      </thead>
      <tbody>
        ${body}
      </tbody>
    </table>
  </div>`;
}

/** A section's heading, the criteria it evidences (with their meaning on hover) and why. */
export function sectionHead(id: string, s: SectionHeader): SafeHtml {
  const badges = s.criteria.map(
    (c) => markup`<span class="cc" title="${TRUST_CRITERIA[c]}">${c}</span>`,
  );
  return markup`<h2 id="${id}">${s.title}</h2>
    <p class="criteria">SOC 2 ${s.criteria.length > 1 ? 'criteria' : 'criterion'}: ${badges}</p>
    <p class="why">${s.why}</p>`;
}

export const cards = (items: ReadonlyArray<[HtmlValue, string]>): SafeHtml =>
  markup`<div class="cards">
    ${items.map(([n, label]) => markup`<div class="card"><b>${n}</b><span>${label}</span></div>`)}
  </div>`;
