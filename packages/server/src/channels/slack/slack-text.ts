import type { MrkdwnElement, PlainTextElement } from '@slack/types';
import { cutUtf16, inertLine, inertLines } from '@countersign/core';

/**
 * Text for Slack surfaces. Requests carry text an agent wrote, and an agent may be
 * prompt-injected: every agent-supplied string must be inert where an approver reads it. No
 * mention (`<!here>`, `<@U…>`, a bare `@channel`), no link, no emphasis, quote or code, no
 * `:emoji:`, and no line break that leaves its field and prints a fake "*Votes* ✅ approved"
 * section. Three containers, by how much Slack parses in them:
 *
 * - `plainText`: a `plain_text` object with `emoji: false` (Slack renders no markup at all,
 *   https://docs.slack.dev/reference/block-kit/composition-objects/text-object).
 * - `code`: one line inside inline code in `mrkdwn` (`verbatim: true` on its text object):
 *   formatting, emoji codes and automatic mention parsing do not apply inside code.
 * - `fence`: several lines inside a ``` block: line breaks stay inside the fence.
 *
 * `&`, `<`, `>` are escaped in mrkdwn as Slack's "Escaping text" asks
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping); mention keywords get a
 * word joiner (U+2060) so no client parses them. Those two are Slack's; the rest is shared with
 * every channel (views/inert-text.ts): line breaks folded to a visible ↵ (`inertLine`, or kept
 * inside a fence: `inertLines`), controls and bidi overrides shown, lone surrogates replaced;
 * and the cut (`cutUtf16`), always after escaping: cutting first lets `&` grow into `&amp;`
 * past the limit. Cuts fall between code points (never inside a surrogate pair, never inside
 * an entity) and are measured in UTF-16 units, the stricter count.
 * @module
 */

const WJ = '\u2060';
/** `@here`, `@channel`, `@everyone` and `<!…>`, `<@…>`, `<#…>` with a word joiner inside. */
function defuse(text: string): string {
  return text
    .replace(/@(here|channel|everyone|group)\b/gi, `@${WJ}$1`)
    .replace(/<([!@#])/g, `<${WJ}$1`);
}

/** `&`, `<`, `>` as entities (https://docs.slack.dev/messaging/formatting-message-text#escaping). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A `plain_text` object of agent text on one line, inert, within `max`. */
export function plainText(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: cutUtf16(defuse(inertLine(text)) || '—', max), emoji: false };
}

/** A `plain_text` object of our own words (labels, button text), within `max`. */
export function label(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: cutUtf16(text, max), emoji: true };
}

/** A `mrkdwn` object that Slack does not rewrite (no auto-linking or mention parsing). */
export function mrkdwnText(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** Agent text on one line inside inline code in mrkdwn, escaped, within `max` (fences included). */
export function code(text: string, max: number): string {
  const body = escapeMrkdwn(defuse(inertLine(text).replaceAll('`', 'ˋ')));
  return `\`${cutUtf16(body || '—', Math.max(1, max - 2))}\``;
}

/**
 * Agent text, line breaks kept, inside a ``` fence in mrkdwn, escaped, within `max` including
 * the fences: a backtick cannot close the fence, and the cut keeps it closed.
 */
export function fence(text: string, max: number): string {
  const body = escapeMrkdwn(defuse(inertLines(text).replaceAll('`', 'ˋ')));
  const room = Math.max(1, max - 6);
  const inner = body.length <= room ? body : cutUtf16(body, room - 14) + '\n(truncated)';
  return `\`\`\`${inner || ' '}\`\`\``;
}

/** The params as pretty JSON in a fence within `max` (keys and values are agent text). */
export function formatParams(params: unknown, max: number): string {
  return fence(JSON.stringify(params, null, 2) ?? 'null', max);
}

/**
 * A time each reader sees in their own time zone, with a UTC fallback for clients that cannot
 * (https://docs.slack.dev/messaging/formatting-message-text#date-formatting).
 */
export function slackDate(iso: string | null): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}
