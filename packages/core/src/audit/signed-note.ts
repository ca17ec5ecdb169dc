import { AuditError } from './audit-error.js';
import { formatKeyId } from './note-keys.js';
import type { NoteSigner, NoteVerifier } from './note-keys.js';
import { decodeNote, hasOnlyNoteCharacters, isValidKeyName, MAX_NOTE_BYTES } from './note-text.js';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.js';

/** C2SP: verifiers MUST accept at least 16 signatures; Go's reference implementation stops at 100. */
export const MAX_NOTE_SIGNATURES = 100;

// Each signature line is: em dash (U+2014), space, key name, space, base64, newline.
const SIGNATURE_PREFIX = '\u2014 ';

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** base64(key ID ‖ signature), as in the note. */
  readonly signature: string;
}

export interface OpenedNote {
  /** The signed text, ending in a newline. Only ever returned once a known key has verified it. */
  readonly text: string;
  /** Signatures by known keys, all verified. Never empty. */
  readonly signatures: readonly NoteSignature[];
  /** Signatures by keys we do not know (e.g. witnesses), ignored as C2SP requires. */
  readonly unverifiedSignatures: readonly NoteSignature[];
}

/**
 * Signs `text` (which must end in a newline) as a C2SP signed note: the text, a blank line,
 * then one signature line per signer.
 *
 * @example
 * const note = signNote(formatCheckpoint(checkpoint), parseNoteSignerKey(config.signerKey));
 */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  const list: readonly NoteSigner[] = Array.isArray(signers) ? signers : [signers as NoteSigner];
  if (typeof text !== 'string' || !text.endsWith('\n') || !hasOnlyNoteCharacters(text)) {
    throw malformed('note text must end in a newline and contain no control characters');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_NOTE_BYTES) throw malformed('note text is too large');
  if (list.length === 0 || list.length > MAX_NOTE_SIGNATURES) {
    throw malformed(`a note needs 1 to ${MAX_NOTE_SIGNATURES} signers`);
  }
  const message = Buffer.from(text, 'utf8');
  const lines = list.map((signer) => {
    if (!isValidKeyName(signer.name)) throw malformed('invalid signer name');
    const keyId = Buffer.alloc(4);
    keyId.writeUInt32BE(signer.keyId);
    const signature = encodeBase64(Buffer.concat([keyId, signer.sign(message)]));
    return `${SIGNATURE_PREFIX}${signer.name} ${signature}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/**
 * Opens a C2SP signed note (attacker-controlled input) and checks its signatures against the
 * verifiers we trust. Unknown keys are ignored; a known key whose signature fails rejects the
 * whole note (`note_signature_invalid`); no verified signature at all is `note_unverified`;
 * anything that is not a well-formed note is `note_malformed`.
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): OpenedNote {
  const known = indexVerifiers(verifiers);
  const s = decodeNote(note);
  if (s === undefined) throw malformed('a note is UTF-8 text of at most 256 KiB');
  if (!hasOnlyNoteCharacters(s))
    throw malformed('a note contains no control characters but newline');
  // "The text is separated from the signatures by the last empty line in the note."
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (block === '' || !block.endsWith('\n'))
    throw malformed('signature lines must end in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed('too many signatures');

  const message = Buffer.from(text, 'utf8');
  const signatures: NoteSignature[] = [];
  const unverified = new Map<string, NoteSignature>();
  for (const line of lines) {
    const sig = parseSignatureLine(line);
    const verifier = known.get(lookupKey(sig.name, sig.keyId));
    if (verifier === undefined) {
      unverified.set(line, sig); // "Verifiers MUST ignore signatures from unknown keys"
      continue;
    }
    // "If a signature from a known key fails to verify, clients SHOULD reject the whole note."
    const raw = decodeBase64Strict(sig.signature)!.subarray(4);
    if (!verifier.verify(message, raw)) {
      throw new AuditError('note_signature_invalid', `bad signature by ${sig.name}`, {
        key: `${sig.name}+${formatKeyId(sig.keyId)}`,
      });
    }
    if (!signatures.some((v) => v.name === sig.name && v.keyId === sig.keyId)) signatures.push(sig);
  }
  // "If no signature from a known key verifies successfully, clients MUST reject the note."
  if (signatures.length === 0) {
    throw new AuditError('note_unverified', 'the note is not signed by any known key', {
      keys: [...unverified.values()].map((v) => `${v.name}+${formatKeyId(v.keyId)}`),
    });
  }
  return { text, signatures, unverifiedSignatures: [...unverified.values()] };
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed('a signature line starts with "— "');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const signature = rest.slice(space + 1);
  const raw = space < 0 ? undefined : decodeBase64Strict(signature);
  // Key ID (4 bytes) and at least one byte of signature, as Go's note.Open requires.
  if (!isValidKeyName(name) || raw === undefined || raw.length < 5) {
    throw malformed('a signature line is "— <key name> <base64 signature>"');
  }
  return { name, keyId: raw.readUInt32BE(0), signature };
}

function indexVerifiers(verifiers: unknown): Map<string, NoteVerifier> {
  if (!Array.isArray(verifiers))
    throw new AuditError('note_key_invalid', 'verifiers must be a list');
  const known = new Map<string, NoteVerifier>();
  for (const v of verifiers as readonly NoteVerifier[]) {
    const key = lookupKey(v.name, v.keyId);
    // Two trusted keys with the same name and ID: a misconfiguration (or worse); refuse to guess.
    if (known.has(key))
      throw new AuditError('note_key_invalid', `ambiguous verifier key ${v.name}`);
    known.set(key, v);
  }
  return known;
}

// Key names cannot contain a newline, so this is unambiguous.
function lookupKey(name: string, keyId: number): string {
  return `${name}\n${keyId}`;
}

function malformed(message: string): AuditError {
  return new AuditError('note_malformed', message);
}
