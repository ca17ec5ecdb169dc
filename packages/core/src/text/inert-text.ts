/**
 * Pure helpers that make agent-supplied text inert before a channel renders it: the text can
 * no longer break out of its field with a line break, reorder what follows with a bidi
 * override, or grow past a vendor limit when cut. They know no markup language; each channel
 * still escapes its own (Slack mrkdwn, Teams markdown) after these, and cuts last.
 * @module
 */

/**
 * Bidirectional formatting characters (Unicode UAX #9, §2): the explicit overrides, embeddings
 * and isolates, and the implicit marks (LRM, RLM, ALM), invisible characters that also move
 * neutral text such as `.exe` around.
 */
const BIDI_NAMES: Readonly<Record<string, string>> = {
  '\u061C': 'ALM',
  '\u200E': 'LRM',
  '\u200F': 'RLM',
  '\u202A': 'LRE',
  '\u202B': 'RLE',
  '\u202C': 'PDF',
  '\u202D': 'LRO',
  '\u202E': 'RLO',
  '\u2066': 'LRI',
  '\u2067': 'RLI',
  '\u2068': 'FSI',
  '\u2069': 'PDI',
};
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Visible mark for a line break; any number of CR/LF/LS/PS/NEL in a row count once each. */
export const LINE_BREAK_MARK = '↵';

// CRLF is one break; CR, LF, NEL (U+0085), LINE SEPARATOR and PARAGRAPH SEPARATOR (Unicode
// UAX #14, mandatory breaks BK/CR/LF/NL) are one each.
const BREAKS = /\r\n|[\n\r\u0085\u2028\u2029]/g;
// C0 controls other than the breaks above, DEL, and the C1 block.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A control character as something a reader can see: C0 and DEL as their Control Pictures
 * (U+2400 block: NUL → ␀, ESC → ␛, DEL → ␡), C1 as `⟨U+0085⟩` (Unicode has no pictures for
 * them). The angle brackets are U+27E8/U+27E9, markup in no chat dialect.
 */
function controlPicture(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/**
 * Folds the text onto one line: every line break becomes `↵` and every other control
 * character its visible picture, so an agent cannot start a new paragraph, heading, quote or
 * list in a field meant for one line, nor hide text behind NUL or terminal escapes.
 * @example oneLine('a\r\nb\u0000') // 'a↵b␀'
 */
export function oneLine(s: string): string {
  return s.replace(BREAKS, LINE_BREAK_MARK).replace(CONTROLS, controlPicture);
}

/**
 * Replaces bidi overrides and isolates with visible markers (`⟨RLO⟩`), so `invoice‮gpj.exe`
 * reads as written instead of as `invoiceexe.jpg`, and no override leaks into the text after
 * the field (Trojan Source, CVE-2021-42574).
 * @example stripBidi('a\u202Eb') // 'a⟨RLO⟩b'
 */
export function stripBidi(s: string): string {
  return s.replace(BIDI, (c) => `⟨${BIDI_NAMES[c] ?? '?'}⟩`);
}

/**
 * Replaces lone surrogates with U+FFFD: they are not Unicode text, `encodeURIComponent`
 * throws on them (`URI malformed`), and vendors refuse or mangle them.
 */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/** Everything above: one line, no bidi control, well-formed. Escape for the channel after. */
export function inertLine(s: string): string {
  return oneLine(stripBidi(wellFormed(s)));
}

/**
 * As `inertLine`, for a field that may hold several lines (a code fence): every kind of line
 * break becomes `\n`, the one the vendor renders as a break inside the field; everything else
 * as in `inertLine`.
 * @example inertLines('a\r\nb\u2028c\u202E') // 'a\nb\nc⟨RLO⟩'
 */
export function inertLines(s: string): string {
  return stripBidi(wellFormed(s)).replace(BREAKS, '\n').replace(CONTROLS, controlPicture);
}

// An HTML entity cut short at the end of the kept text (`&am` of `&amp;`), which Slack would
// show as is; Slack escapes only `&amp;`, `&lt;` and `&gt;` (api.slack.com, "Escaping text").
const PARTIAL_ENTITY = /&[#a-zA-Z0-9]{0,6}$/;

/**
 * Cuts `s` to at most `max` code points, the ellipsis included, never inside a surrogate
 * pair nor inside an HTML entity. Apply it last, to the already escaped text, with the
 * field's documented limit: cutting before escaping lets `&` → `&amp;` grow the text past the
 * limit again.
 * @example cutCodePoints('😀😀😀', 2) // '😀…'
 */
export function cutCodePoints(s: string, max: number, ellipsis = '…'): string {
  const points = Array.from(s);
  if (points.length <= max) return s;
  const mark = Array.from(ellipsis);
  if (mark.length >= max) return points.slice(0, Math.max(0, max)).join('');
  return withEllipsis(points.slice(0, max - mark.length).join(''), ellipsis);
}

/**
 * As `cutCodePoints`, but `max` counts UTF-16 code units, as vendors that measure a field's
 * length in JavaScript string length do (Slack, https://docs.slack.dev/reference/block-kit:
 * the stricter count when the documentation only says "characters"). The cut still falls
 * between code points, never inside a surrogate pair nor inside an HTML entity.
 * @example cutUtf16('😀😀😀', 4) // '😀…'
 */
export function cutUtf16(s: string, max: number, ellipsis = '…'): string {
  if (s.length <= max) return s;
  const mark = ellipsis.length < max ? ellipsis : ''; // no room for it: none
  let end = Math.max(0, max - mark.length);
  const unit = s.charCodeAt(end - 1);
  if (unit >= 0xd800 && unit <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return withEllipsis(s.slice(0, end), mark);
}

function withEllipsis(kept: string, ellipsis: string): string {
  return kept.replace(PARTIAL_ENTITY, '') + ellipsis;
}

// What JSON.stringify leaves raw that a terminal would obey, or that would reorder or hide text
// in a <pre>: DEL, C1 controls, LINE/PARAGRAPH SEPARATOR, bidi overrides and isolates.
// (JSON.stringify itself escapes C0 controls and lone surrogates.)
const JSON_UNSAFE = /[\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/**
 * Indented JSON for a person to read (a terminal, a web page): the same value, which any JSON
 * parser reads back identically, with the characters above written as `\uXXXX` escapes.
 * @example inertJson({ a: 'x\u202Ey' }) // '{\n  "a": "x\\u202ey"\n}'
 */
export function inertJson(value: unknown): string {
  return escapeJsonUnsafe(JSON.stringify(value, null, 2) ?? 'null');
}

/** `inertJson` on one line: for JSON lines (NDJSON) that may be printed to a terminal. */
export function inertJsonLine(value: unknown): string {
  return escapeJsonUnsafe(JSON.stringify(value) ?? 'null');
}

function escapeJsonUnsafe(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
