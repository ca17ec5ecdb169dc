/**
 * Agent-supplied text (action, resource, justification, reason, params, comments, the record's
 * `message`) reaches the operator's terminal through this module only. A terminal obeys what
 * it is sent: ESC and CSI (0x9B) start escape sequences that recolour, move the cursor, clear
 * the screen or retitle the window, OSC 8 makes a hyperlink whose target the reader never
 * sees, CR overwrites the start of a line, and bidi overrides reorder what is printed after
 * them (Trojan Source, CVE-2021-42574). So every such character is shown, not obeyed.
 * @module
 */

const BIDI_NAMES: Readonly<Record<string, string>> = {
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

// CRLF counts as one break; CR, LF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR one each.
const BREAKS = /\r\n|[\n\r\u0085\u2028\u2029]/g;
// C0 (ESC among them), DEL, C1 (CSI 0x9B, OSC 0x9D …), bidi overrides and isolates, and lone
// surrogates (not text; printed as garbage or dropped by the terminal).
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // Control Pictures: ESC → ␛
  if (code === 0x7f) return '\u2421'; // ␡
  const bidi = BIDI_NAMES[c];
  if (bidi !== undefined) return `⟨${bidi}⟩`;
  if (code >= 0xd800 && code <= 0xdfff) return '\uFFFD';
  return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/**
 * One line a terminal prints as written: line breaks become `↵`, control characters their
 * Control Pictures (`␛[31m` instead of red), C1 controls `⟨U+009B⟩`, bidi controls `⟨RLO⟩`.
 * @example terminalSafe('ok\u001b]8;;https://evil\u0007x') // 'ok␛]8;;https://evil␇x'
 */
export function terminalSafe(s: string): string {
  return s.replace(BREAKS, '↵').replace(UNSAFE, visible);
}

/** As {@link terminalSafe}, but keeps `\n` as a real line break (stack traces, multi-line text). */
export function terminalSafeLines(s: string): string {
  return s.split(/\r?\n/).map(terminalSafe).join('\n');
}

// Characters JSON.stringify leaves raw that a terminal would obey or reorder around.
const JSON_UNSAFE = /[\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/**
 * JSON for a terminal: the same value (any JSON parser reads it back identically), with the
 * characters JSON.stringify leaves raw written as `\uXXXX` escapes. JSON.stringify already
 * escapes C0 controls and lone surrogates.
 */
export function terminalJson(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
