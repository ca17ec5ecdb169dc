import { isCountersignError } from '@countersign/core';
import { terminalSafe, terminalSafeLines } from './terminal-text.js';

/** Exit codes: 0 ok, 1 refused or failed, 2 usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Prints an error the way an operator wants to read it, and returns the exit code. Messages can
 * quote the gateway's answer and so the agent's text: printed inert (terminal-text.ts).
 */
export function reportError(e: unknown): number {
  if (isCountersignError(e)) {
    process.stderr.write(`countersign: ${terminalSafe(e.message)}\n`);
    return e.code === 'config_invalid' || e.code === 'policy_invalid' ? EXIT.usage : EXIT.failed;
  }
  process.stderr.write(
    `countersign: ${terminalSafeLines(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`,
  );
  return EXIT.failed;
}
