import { HASH_SIZE } from './merkle-hash.js';
import { decodeNote, MAX_NOTE_BYTES } from './note-text.js';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.js';

/** tlog-witness "add-checkpoint": "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_PROOF_LINES = 63;
/** The body is at most the note plus its old size and proof lines. */
export const MAX_ADD_CHECKPOINT_BYTES = MAX_NOTE_BYTES + 64 * 48;

/** A parsed `add-checkpoint` request body (tlog-witness "add-checkpoint"). */
export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, verbatim (still unverified). */
  readonly note: string;
}

/**
 * The request body: `old <size>`, one base64 hash per consistency proof line, an empty line,
 * then the checkpoint note (tlog-witness "add-checkpoint").
 */
export function formatAddCheckpointBody(
  oldSize: number,
  proof: readonly Uint8Array[],
  note: string,
): string {
  return `old ${oldSize}\n${proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${note}`;
}

/**
 * Parses an `add-checkpoint` body, or returns why it is malformed (the witness answers 400).
 * The old size is decimal without leading zeroes; every proof line is canonical base64 of a
 * 32-byte hash; at most 63 of them; the note after the first empty line is left for the note
 * parser (which checks it, and answers 403/404 for its signatures).
 */
export function parseAddCheckpointBody(
  body: string | Uint8Array,
): AddCheckpointRequest | { readonly malformed: string } {
  if (body.length > MAX_ADD_CHECKPOINT_BYTES) return { malformed: 'the body is too large' };
  const text = typeof body === 'string' ? body : decodeNote(body);
  if (text === undefined) return { malformed: 'the body is not UTF-8 text' };
  const blank = text.indexOf('\n\n');
  if (blank < 0) return { malformed: 'no empty line before the checkpoint' };
  const [oldLine, ...proofLines] = text.slice(0, blank).split('\n');
  const old = /^old (0|[1-9][0-9]{0,15})$/.exec(oldLine ?? '');
  const oldSize = old ? Number(old[1]) : Number.NaN;
  if (!Number.isSafeInteger(oldSize)) {
    return { malformed: 'the first line is "old <size>", a decimal without leading zeroes' };
  }
  if (proofLines.length > MAX_PROOF_LINES) return { malformed: 'more than 63 proof lines' };
  const proof: Uint8Array[] = [];
  for (const line of proofLines) {
    const hash = decodeBase64Strict(line);
    if (hash === undefined || hash.length !== HASH_SIZE) {
      return { malformed: 'a consistency proof line is not base64 of a 32-byte hash' };
    }
    proof.push(hash);
  }
  return { oldSize, proof, note: text.slice(blank + 2) };
}
