/**
 * Agent-supplied text (action, resource, justification, reason, params, comments, the record's
 * `message`) reaches the operator's terminal through this module only. A terminal obeys what
 * it is sent: ESC and CSI (0x9B) start escape sequences that recolour, move the cursor, clear
 * the screen or retitle the window, OSC 8 makes a hyperlink whose target the reader never
 * sees, CR overwrites the start of a line, and bidi overrides reorder what is printed after
 * them (Trojan Source, CVE-2021-42574). So every such character is shown, not obeyed.
 * @module
 */
import { inertLine } from '@countersign/core';

/**
 * One line a terminal prints as written: line breaks become `↵`, control characters their
 * Control Pictures (`␛[31m` instead of red), C1 controls `⟨U+009B⟩`, bidi controls `⟨RLO⟩`.
 * @example terminalSafe('ok\u001b]8;;https://evil\u0007x') // 'ok␛]8;;https://evil␇x'
 */
export function terminalSafe(s: string): string {
  // Core's inertLine already shows every character a terminal would obey (C0, DEL, C1, bidi
  // controls, lone surrogates, line breaks): one rule for chat, web and terminal text.
  return inertLine(s);
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
