/**
 * Text for Adaptive Cards in Teams. A TextBlock's text and a Fact's title and value are
 * Markdown, a CommonMark subset (https://learn.microsoft.com/adaptive-cards/create/textfeatures,
 * https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format):
 * `**bold**`, `_italic_`, lists started by a line break, `[links](…)`, and in TextBlocks the
 * `{{DATE(…)}}` text functions. Requests carry text an agent wrote, and an agent may be
 * prompt-injected: every agent-supplied string goes through `inert`, which makes it plain text
 * inside its own field. Bare URLs stay visible as what they are.
 * @module
 */

import { inertLine } from '@countersign/core';

/**
 * ASCII punctuation with a meaning in CommonMark inline or block syntax (emphasis, code,
 * strikethrough, links, autolinks and HTML, entities, headings, tables, escapes). CommonMark
 * §2.4: "Any ASCII punctuation character may be backslash-escaped", and the escaped
 * character is shown literally.
 */
const MARKDOWN = new Set(['\\', '*', '_', '`', '~', '[', ']', '<', '>', '#', '|', '&', '!']);
/** Marks that only mean something at the start of a line: list items, setext underline. */
const LINE_START = new Set(['-', '+', '=']);

/** The escaped form of one code point of an already inert line (see `inert`). */
function escapeOne(ch: string): string {
  if (MARKDOWN.has(ch)) return `\\${ch}`;
  // `{{` opens a text function (DATE/TIME): a word joiner keeps the braces apart.
  if (ch === '{') return '{\u2060';
  return ch;
}

/**
 * Agent-supplied text, inert in a TextBlock or Fact. First what every channel does
 * (views/inert-text.ts `inertLine`): line breaks folded to a visible `↵`, controls as their
 * pictures, bidi overrides (Trojan Source, CVE-2021-42574) as named markers, lone surrogates
 * replaced. Then Teams' own: Markdown punctuation backslash-escaped; then cut to at most `max`
 * code points of the escaped text (escape first, then cut: never past the limit, never inside
 * a surrogate pair or between a backslash and what it escapes), with `…` when something was
 * cut. That cut is Teams' own too: it keeps each escape whole.
 */
export function inert(text: string, max: number): string {
  // Leading spaces would make an indented code block (CommonMark §4.4).
  const folded = inertLine(text).replace(/^ +/, '');
  const units: string[] = [];
  let first = true;
  // `for…of` walks code points; a lone surrogate comes out as one unit and is replaced.
  for (const ch of folded) {
    units.push(first && LINE_START.has(ch) ? `\\${ch}` : escapeOne(ch));
    first = false;
  }
  // An ordered-list marker at the start ("1." or "1)"): escape its punctuation.
  const ordered = /^(\d{1,9})([.)])/.exec(folded);
  if (ordered) units[ordered[1].length] = `\\${ordered[2]}`;
  return cutUnits(units, max);
}

/** Whole units while their code points fit in `max`; `…` (one code point) marks a cut. */
function cutUnits(units: string[], max: number): string {
  const size = (u: string) => (u.length === 1 ? 1 : [...u].length);
  let total = 0;
  for (const u of units) total += size(u);
  if (total <= max) return units.join('');
  let out = '';
  let used = 0;
  for (const u of units) {
    const n = size(u);
    if (used + n > max - 1) break;
    out += u;
    used += n;
  }
  return `${out}…`;
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
 * and `maxValue` code points each (escaped); the rest is named, not shown (the full request is
 * a link away).
 */
export function paramFacts(
  params: object,
  maxKeys: number,
  maxValue: number,
): { facts: Array<{ title: string; value: string }>; hidden: number } {
  const entries = Object.entries(params as Record<string, unknown>);
  const facts = entries.slice(0, maxKeys).map(([key, value]) => ({
    title: inert(key, 60),
    value: inert(JSON.stringify(value) ?? 'null', maxValue),
  }));
  return { facts, hidden: Math.max(0, entries.length - maxKeys) };
}
