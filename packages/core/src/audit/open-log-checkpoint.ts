import { isAuditError } from './audit-error.js';
import { parseCheckpoint } from './checkpoint.js';
import type { NoteVerifier } from './note-keys.js';
import { openNote } from './signed-note.js';
import type { VerifyLogFailure, VerifyLogFailureCode } from './verify-log-result.js';

/** A checkpoint whose signature checked out, with where it came from (for messages). */
export interface LogCheckpoint {
  /** E.g. `the checkpoint`, `--since`, `checkpoints/812.txt`. */
  readonly label: string;
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

/**
 * Opens one signed checkpoint for `verifyLog`, as `openCheckpoint` does, spelled out as steps so
 * that each failure gets its own code:
 *
 * 1. the note verifies under one of the trusted keys (C2SP signed-note: a known key's bad
 *    signature rejects the note; unknown keys, e.g. witnesses, are ignored);
 * 2. its text is a C2SP tlog-checkpoint (origin, size, root);
 * 3. the origin is the name of a key whose signature verified. Our convention, enforced by the
 *    server too: the log signs with a key named after its origin. Without it a note signed by
 *    another trusted key (a second log, a witness) could pass for this log's checkpoint;
 * 4. (when `origin` is given) it is the same log as the checkpoint being verified.
 */
export function openLogCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  label: string,
  origin?: string,
): LogCheckpoint | VerifyLogFailure {
  try {
    const opened = openNote(note, verifiers);
    const checkpoint = parseCheckpoint(opened.text);
    if (!opened.signatures.some((s) => s.name === checkpoint.origin)) {
      const names = opened.signatures.map((s) => s.name).join(', ');
      return fail(
        'origin_mismatch',
        `${label} is for the log "${checkpoint.origin}" but signed by ${names}`,
      );
    }
    if (origin !== undefined && checkpoint.origin !== origin) {
      return fail(
        'origin_mismatch',
        `${label} is for the log "${checkpoint.origin}", not "${origin}"`,
      );
    }
    return { label, origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.rootHash };
  } catch (e) {
    if (!isAuditError(e)) throw e;
    const code: VerifyLogFailureCode =
      e.code === 'note_signature_invalid'
        ? 'checkpoint_signature_invalid'
        : e.code === 'note_unverified'
          ? 'checkpoint_unverified'
          : 'checkpoint_malformed';
    return fail(code, `${label}: ${e.message}`);
  }
}

export function isVerifyLogFailure(x: LogCheckpoint | VerifyLogFailure): x is VerifyLogFailure {
  return 'ok' in x;
}

function fail(code: VerifyLogFailureCode, reason: string): VerifyLogFailure {
  return { ok: false, code, reason };
}
