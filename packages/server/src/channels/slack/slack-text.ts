import type { MrkdwnElement, PlainTextElement } from '@slack/types';

/**
 * Text for Slack surfaces. Requests carry text an agent wrote, and an agent may be
 * prompt-injected: every agent-supplied string must be inert where an approver reads it. No
 * mention (`<!here>`, `<@U…>`, a bare `@channel`), no link, no emphasis, quote or code, no
 * `:emoji:`, and no line break that leaves its field and prints a fake "*Votes* ✅ approved"
 * section. Three containers, by how much Slack parses in them:
 *
 * - `plainText`: a `plain_text` object with `emoji: false` (Slack renders no markup at all,
 *   https://docs.slack.dev/reference/block-kit/composition-objects/text-object); line breaks
 *   fold into a visible ↵.
 * - `code`: one line inside inline code in `mrkdwn` (`verbatim: true` on its text object):
 *   formatting, emoji codes and automatic mention parsing do not apply inside code.
 * - `fence`: several lines inside a ``` block: line breaks stay inside the fence.
 *
 * `&`, `<`, `>` are escaped in mrkdwn as Slack's "Escaping text" asks
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping); mention keywords get a
 * word joiner (U+2060) so no client parses them. Always escape first, then cut: cutting first
 * lets `&` grow into `&amp;` past the limit. Cuts are by code point (never inside a surrogate
 * pair, never inside an entity) and measured in UTF-16 units, the stricter count.
 * @module
 */

const WJ = '\u2060';
const ELLIPSIS = '…';
/** Lone surrogates (not valid UTF-8: Slack's API refuses them), as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Line breaks of every kind, CRLF first so it folds once. */
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;
/** C0/C1 controls (escape sequences, NUL) and bidi overrides/isolates (RTL spoofing). */
const INVISIBLE =
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g; // eslint-disable-line no-control-regex -- controls are what it finds

/** `text` with every lone surrogate as U+FFFD (String.prototype.toWellFormed, ES2024). */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** Well-formed, with controls and bidi overrides shown as U+FFFD; line breaks as `\n`. */
function clean(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(LINE_BREAK, '\n')
    .replace(INVISIBLE, '\uFFFD');
}

/** One line: every line break becomes a visible ↵. */
export function oneLine(text: string): string {
  return clean(text).replaceAll('\n', ' ↵ ');
}

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

/**
 * `text` cut to at most `max` UTF-16 units, ending with `…` when cut. The cut falls on a code
 * point boundary and never inside an `&…;` entity.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ELLIPSIS.length);
  const unit = text.charCodeAt(end - 1);
  if (unit >= 0xd800 && unit <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  let head = text.slice(0, end);
  const entity = /&[a-z]*$/.exec(head);
  if (entity) head = head.slice(0, entity.index);
  return head + ELLIPSIS;
}

/** A `plain_text` object of agent text on one line, inert, within `max`. */
export function plainText(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: cut(defuse(oneLine(text)) || '—', max), emoji: false };
}

/** A `plain_text` object of our own words (labels, button text), within `max`. */
export function label(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: cut(text, max), emoji: true };
}

/** A `mrkdwn` object that Slack does not rewrite (no auto-linking or mention parsing). */
export function mrkdwnText(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** Agent text on one line inside inline code in mrkdwn, escaped, within `max` (fences included). */
export function code(text: string, max: number): string {
  const body = escapeMrkdwn(defuse(oneLine(text).replaceAll('`', 'ˋ')));
  return `\`${cut(body || '—', Math.max(1, max - 2))}\``;
}

/**
 * Agent text, line breaks kept, inside a ``` fence in mrkdwn, escaped, within `max` including
 * the fences: a backtick cannot close the fence, and the cut keeps it closed.
 */
export function fence(text: string, max: number): string {
  const body = escapeMrkdwn(defuse(clean(text).replaceAll('`', 'ˋ')));
  const room = Math.max(1, max - 6);
  const inner = body.length <= room ? body : cut(body, room - 14) + '\n(truncated)';
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
