import { parseAddCheckpointBody } from './add-checkpoint-body.js';
import { isAuditError } from './audit-error.js';
import { parseCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import { constantTimeEqual } from '../crypto/constant-time-equal.js';
import { emptyRoot } from './merkle-hash.js';
import type { NoteVerifier } from './note-keys.js';
import { decodeNote } from './note-text.js';
import { openNote } from './signed-note.js';
import type { NoteSignature } from './signed-note.js';
import { verifyConsistency } from './verify-consistency.js';

/** What a witness knows of one log: the latest checkpoint it verified and cosigned. */
export interface WitnessedTree {
  readonly size: number;
  readonly rootHash: Uint8Array;
}

/** The checkpoint is consistent with what the witness knew: cosign it (200). */
export interface AddCheckpointAccepted {
  readonly status: 200;
  readonly checkpoint: Checkpoint;
  /** The checkpoint body, which the cosignature signs. */
  readonly text: string;
  /** The log's signatures that verified (for the monitoring endpoint's note). */
  readonly logSignatures: readonly NoteSignature[];
}

/** Refused, with the tlog-witness status; 409 carries the witness's size. */
export type AddCheckpointRefused =
  | { readonly status: 400 | 403 | 404 | 422; readonly reason: string }
  | { readonly status: 409; readonly reason: string; readonly size: number };

export type AddCheckpointVerdict = AddCheckpointAccepted | AddCheckpointRefused;

/**
 * A witness's decision on one `add-checkpoint` request (C2SP tlog-witness "add-checkpoint"),
 * in the order the spec gives. Pure: the caller holds the state, and must check and update it
 * atomically (the spec's rollback race).
 *
 * - 400: the body is malformed, or `old` exceeds the checkpoint's size;
 * - 404: no trusted key for the checkpoint's origin ("unknown log");
 * - 403: no verified signature by a trusted key, or a trusted key's signature fails;
 * - 409: `old` is not the size the witness last cosigned (0 if never): answer with that size;
 * - 422: size 0 without the empty root; a proof after `old 0`; same size, different root (a
 *   fork); a consistency proof (RFC 6962 §2.1.2) that does not verify;
 * - 200: cosign.
 *
 * `logs` maps each origin to its trusted keys; `latest` is the witness's state for an origin.
 */
export function judgeAddCheckpoint(
  body: string | Uint8Array,
  logs: ReadonlyMap<string, readonly NoteVerifier[]>,
  latest: (origin: string) => WitnessedTree | undefined,
): AddCheckpointVerdict {
  const request = parseAddCheckpointBody(body);
  if ('malformed' in request) return { status: 400, reason: request.malformed };

  // The origin is needed to choose the keys: read it from the text before any signature.
  const note = decodeNote(request.note);
  const split = note?.lastIndexOf('\n\n') ?? -1;
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(note === undefined || split < 0 ? '' : note.slice(0, split + 1));
  } catch (e) {
    if (!isAuditError(e)) throw e;
    return { status: 400, reason: `the checkpoint is malformed: ${e.message}` };
  }
  const verifiers = logs.get(checkpoint.origin);
  if (verifiers === undefined) {
    return { status: 404, reason: `unknown log origin ${JSON.stringify(checkpoint.origin)}` };
  }
  let logSignatures: readonly NoteSignature[];
  try {
    // "it MUST ignore signatures from unknown keys": openNote does, and rejects the whole note
    // when a trusted key's signature fails.
    logSignatures = openNote(request.note, verifiers).signatures;
  } catch (e) {
    if (!isAuditError(e)) throw e;
    if (e.code === 'note_malformed') return { status: 400, reason: e.message };
    return { status: 403, reason: `not signed by the log: ${e.message}` };
  }

  if (request.oldSize > checkpoint.size) {
    return {
      status: 400,
      reason: `old size ${request.oldSize} is beyond the checkpoint size ${checkpoint.size}`,
    };
  }
  const known = latest(checkpoint.origin);
  const knownSize = known?.size ?? 0;
  if (request.oldSize !== knownSize) {
    return {
      status: 409,
      size: knownSize,
      reason: `old size ${request.oldSize} is not the latest cosigned size ${knownSize}`,
    };
  }
  if (checkpoint.size === 0 && !constantTimeEqual(checkpoint.rootHash, emptyRoot())) {
    return { status: 422, reason: 'a checkpoint of size 0 must have the empty tree root' };
  }
  if (request.oldSize === 0) {
    // "the empty tree is consistent with any tree, so no proof is necessary"
    if (request.proof.length > 0) return { status: 422, reason: 'a proof from size 0' };
  } else {
    // old = the stored size > 0, so there is a stored record.
    const stored = known!;
    if (request.oldSize === checkpoint.size) {
      if (request.proof.length > 0 || !constantTimeEqual(stored.rootHash, checkpoint.rootHash)) {
        return {
          status: 422,
          reason: `a different root at the cosigned size ${knownSize}: a fork`,
        };
      }
    } else {
      try {
        verifyConsistency(
          stored.size,
          checkpoint.size,
          request.proof,
          stored.rootHash,
          checkpoint.rootHash,
        );
      } catch (e) {
        if (!isAuditError(e)) throw e;
        return {
          status: 422,
          reason: `not consistent with the cosigned size ${knownSize}: ${e.message}`,
        };
      }
    }
  }
  const text = note!.slice(0, split + 1);
  return { status: 200, checkpoint, text, logSignatures };
}
