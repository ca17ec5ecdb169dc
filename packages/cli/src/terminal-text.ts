/**
 * Agent-supplied text (action, resource, justification, reason, params, comments, the record's
 * `message`) reaches the operator's terminal through this module only. A terminal obeys what
 * it is sent: ESC and CSI (0x9B) start escape sequences that recolour, move the cursor, clear
 * the screen or retitle the window, OSC 8 makes a hyperlink whose target the reader never
 * sees, CR overwrites the start of a line, and bidi overrides reorder what is printed after
 * them (Trojan Source, CVE-2021-42574). So every such character is shown, not obeyed.
 * @module
 */
import { inertJson, inertLine } from '@countersign/core';

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

/**
 * JSON for a terminal: core's `inertJson`, the same value with the characters a terminal would
 * obey written as `\uXXXX` escapes.
 */
export const terminalJson = inertJson;
