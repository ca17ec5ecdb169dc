/**
 * The report's only style sheet, inlined: readable on a phone (tables scroll sideways inside
 * their section, text wraps), and on paper (no backgrounds needed, header rows repeat, rows
 * do not split across pages).
 */
export const REPORT_CSS = `
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; --accent: #2f5bb7;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 16px; color: var(--ink);
  font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 0 0 6px; }
h3 { font-size: 1rem; margin: 18px 0 6px; }
p { margin: 6px 0; }
code, .mono { font: 0.85em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  overflow-wrap: anywhere; }
header { border-bottom: 2px solid var(--ink); padding-bottom: 10px; margin-bottom: 16px; }
.meta { color: var(--muted); font-size: 0.9rem; }
section { border-top: 1px solid var(--line); padding: 14px 0 8px; }
.criteria { margin: 0 0 6px; }
.cc { display: inline-block; border: 1px solid var(--accent); color: var(--accent); border-radius: 4px;
  padding: 0 6px; margin-right: 4px; font-weight: 600; font-size: 0.8rem; }
.why { color: var(--muted); font-style: italic; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card b { display: block; font-size: 1.4rem; }
.card span { color: var(--muted); font-size: 0.85rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 6px 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--soft); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td { overflow-wrap: anywhere; min-width: 4em; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.none { color: var(--muted); }
.flag { color: var(--bad); font-weight: 700; }
ul.votes { margin: 0; padding-left: 1em; }
pre.note { background: var(--soft); border: 1px solid var(--line); padding: 8px; white-space: pre-wrap;
  overflow-wrap: anywhere; font-size: 0.8rem; }
svg.chart { width: 100%; max-width: 640px; height: auto; display: block; }
svg.chart .bar { fill: var(--accent); }
svg.chart .axis { stroke: var(--ink); stroke-width: 1; }
svg.chart text { font: 13px sans-serif; fill: var(--ink); }
svg.chart .mark { fill: var(--bad); font-weight: 700; }
footer { border-top: 1px solid var(--line); margin-top: 16px; padding-top: 8px; color: var(--muted); font-size: 0.8rem; }
@media (max-width: 600px) { body { padding: 10px; font-size: 14px; } h1 { font-size: 1.3rem; } }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  .scroll { overflow: visible; }
  thead { display: table-header-group; }
  tr, .card, svg.chart, pre.note { break-inside: avoid; }
  section { break-inside: auto; }
  h2, h3 { break-after: avoid; }
}
`;
