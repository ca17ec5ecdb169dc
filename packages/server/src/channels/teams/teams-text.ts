/**
 * Text for Adaptive Cards in Teams. A TextBlock's and a Fact's text is Markdown
 * (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format),
 * so `[Approve here](https://…)` renders as a link whose target the approver does not see.
 * Requests carry text an agent wrote, and an agent may be prompt-injected: every
 * agent-supplied string goes through `md`, which breaks every link form (inline, reference,
 * definition) by following each `]` with an invisible word joiner, and cuts it to a limit so
 * one field cannot push the card past Teams' message size. Bare URLs stay visible as what they
 * are.
 * @module
 */

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Agent-supplied text, safe to show as Markdown: no links, at most `max` characters. */
export function md(text: string, max: number): string {
  return truncate(text, max).replaceAll(']', ']\u2060');
}

/**
 * A time in each reader's own time zone and locale, with Adaptive Cards' DATE and TIME text
 * functions (TextBlock only; they need RFC 3339 without fractional seconds).
 */
export function cardTime(iso: string | null): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  const t = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `{{DATE(${t}, SHORT)}} {{TIME(${t})}}`;
}

/** A time for places where text functions are not evaluated (facts): UTC, minutes. */
export function utcTime(iso: string | null): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms)
    ? '—'
    : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The params as facts, one per top-level key with its JSON value, at most `maxKeys` of them
 * and `maxValue` characters each; the rest is named, not shown (the full request is a link
 * away).
 */
export function paramFacts(
  params: object,
  maxKeys: number,
  maxValue: number,
): { facts: Array<{ title: string; value: string }>; hidden: number } {
  const entries = Object.entries(params as Record<string, unknown>);
  const facts = entries.slice(0, maxKeys).map(([key, value]) => ({
    title: md(key, 60),
    value: md(JSON.stringify(value) ?? 'null', maxValue),
  }));
  return { facts, hidden: Math.max(0, entries.length - maxKeys) };
}
