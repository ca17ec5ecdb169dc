import { isAuditError } from './audit-error.js';
import { parseCheckpoint } from './checkpoint.js';
import { parseCosignerVerifierKey } from './cosignature.js';
import { formatKeyId, parseNoteVerifierKey } from './note-keys.js';
import type { NoteVerifier } from './note-keys.js';
import { openNote } from './signed-note.js';
import type { VerifyLogFailure } from './verify-log-result.js';

export interface WitnessQuorumInput {
  /** The log-signed checkpoint note with the witnesses' cosignature lines appended. */
  readonly checkpoint: string | Uint8Array;
  /** The log's verifier key(s). */
  readonly verifierKeys: readonly string[];
  /** Trusted witness (cosigner) vkeys, signature type 0x04 (tlog-cosignature "Format"). */
  readonly witnessKeys: readonly string[];
  /** How many distinct given witnesses must have cosigned this very checkpoint. */
  readonly quorum: number;
}

export type WitnessQuorumResult =
  | { readonly ok: true; readonly quorum: number; readonly cosigned_by: readonly string[] }
  | VerifyLogFailure;

/**
 * Fails closed unless `quorum` distinct trusted witnesses cosigned the checkpoint
 * (tlog-cosignature: "Log clients can verify a quorum of cosignatures to prevent split-view
 * attacks"). The checkpoint must also carry the log's own signature. A cosignature line that
 * names a trusted witness key but does not verify rejects the whole note (C2SP signed-note:
 * a known key's bad signature), so a forged cosignature is an error, never just "not counted".
 * Lines from witnesses that were not given are ignored ("The client MUST ignore any
 * cosignatures from unknown keys", tlog-witness "add-checkpoint").
 */
export function verifyWitnessQuorum(input: WitnessQuorumInput): WitnessQuorumResult {
  let logs: NoteVerifier[];
  let witnesses: NoteVerifier[];
  try {
    logs = dedupe(input.verifierKeys.map(parseNoteVerifierKey));
    witnesses = dedupe(input.witnessKeys.map(parseCosignerVerifierKey));
  } catch (e) {
    if (!isAuditError(e)) throw e;
    return fail('key_invalid', `witness or log key: ${e.message}`);
  }
  const { quorum } = input;
  if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > witnesses.length) {
    return fail(
      'key_invalid',
      `a witness quorum is between 1 and the ${witnesses.length} distinct witness keys given`,
    );
  }
  const isWitness = (name: string, keyId: number) =>
    witnesses.some((w) => w.name === name && w.keyId === keyId);
  try {
    const opened = openNote(input.checkpoint, [...logs, ...witnesses]);
    const { origin } = parseCheckpoint(opened.text);
    if (!opened.signatures.some((s) => s.name === origin && !isWitness(s.name, s.keyId))) {
      return fail('checkpoint_unverified', `no verified signature by the log ${origin}`);
    }
    const cosigned = opened.signatures
      .filter((s) => isWitness(s.name, s.keyId))
      .map((s) => `${s.name}+${formatKeyId(s.keyId)}`);
    if (cosigned.length < quorum) {
      return fail(
        'witness_quorum_not_met',
        `${cosigned.length} of the required ${quorum} witnesses cosigned the checkpoint` +
          (cosigned.length > 0 ? ` (${cosigned.join(', ')})` : ''),
      );
    }
    return { ok: true, quorum, cosigned_by: cosigned };
  } catch (e) {
    if (!isAuditError(e)) throw e;
    if (e.code === 'note_signature_invalid') {
      const key = typeof e.extra.key === 'string' ? e.extra.key : '';
      const forged = witnesses.some((w) => key === `${w.name}+${formatKeyId(w.keyId)}`);
      return forged
        ? fail('cosignature_invalid', `the cosignature by ${key} does not verify`)
        : fail('checkpoint_signature_invalid', e.message);
    }
    if (e.code === 'note_unverified') return fail('checkpoint_unverified', e.message);
    return fail('checkpoint_malformed', e.message);
  }
}

// The same key given twice is one witness, not two towards the quorum.
function dedupe(list: NoteVerifier[]): NoteVerifier[] {
  return [...new Map(list.map((v) => [v.verifierKey, v])).values()];
}

function fail(code: VerifyLogFailure['code'], reason: string): VerifyLogFailure {
  return { ok: false, code, reason };
}
