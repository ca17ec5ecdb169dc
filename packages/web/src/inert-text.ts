/**
 * Agent-supplied text made visible as written. React already escapes HTML, so markup in it is
 * text; what is left are characters a browser obeys without markup: bidi overrides and
 * isolates reorder the text after them (Trojan Source, CVE-2021-42574: `invoice‮gpj.exe`
 * reads `invoiceexe.jpg`), control characters are invisible, and line breaks can make one
 * field look like several. The same rules as the gateway's views/inert-text.ts.
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

const BREAKS = /\r\n|[\n\r\u0085\u2028\u2029]/g;
// C0 except LF (handled by the caller's choice), DEL, C1, bidi controls, lone surrogates.
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // Control Pictures: NUL → ␀
  if (code === 0x7f) return '\u2421';
  const bidi = BIDI_NAMES[c];
  if (bidi !== undefined) return `⟨${bidi}⟩`;
  if (code >= 0xd800 && code <= 0xdfff) return '\uFFFD';
  return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** One line: line breaks as `↵`, controls as their pictures, bidi controls as `⟨RLO⟩`. */
export function inertLine(s: string): string {
  return s.replace(BREAKS, '↵').replace(UNSAFE, visible);
}

/** As {@link inertLine}, but line breaks stay (shown inside the field's own box). */
export function inertLines(s: string): string {
  return s.replace(BREAKS, '\n').replace(UNSAFE, visible);
}

// What JSON.stringify leaves raw that would reorder or hide text in a <pre>.
const JSON_UNSAFE = /[\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/** Indented JSON with bidi and C1 controls written as `\uXXXX` escapes: the same value. */
export function inertJson(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
