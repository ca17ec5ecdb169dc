import { AuditError } from './audit-error.js';
import { HASH_SIZE } from './merkle-hash.js';
import { isTreeSize } from './merkle-tree-math.js';
import type { NoteVerifier } from './note-keys.js';
import { hasOnlyNoteCharacters, MAX_NOTE_BYTES } from './note-text.js';
import { openNote } from './signed-note.js';
import type { OpenedNote } from './signed-note.js';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.js';

/** A C2SP tlog-checkpoint: the note text that commits to the log at one size. */
export interface Checkpoint {
  /** The log's identity, e.g. `audit.example.com/countersign`; also its key name. */
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque, optional lines after the root (NOT RECOMMENDED by C2SP; we write none). */
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

/**
 * The checkpoint's note text: origin, decimal size, base64 root, any extension lines, each
 * ending in a newline (c2sp.org/tlog-checkpoint). Sign it with `signNote`.
 *
 * @example
 * formatCheckpoint({ origin: 'audit.example.com/countersign', size: 8, rootHash: tree.root() });
 */
export function formatCheckpoint(input: CheckpointInput): string {
  const extensions = input.extensions ?? [];
  if (!isLine(input.origin)) throw malformed('the origin must be a non-empty line');
  if (!isTreeSize(input.size)) throw malformed('the tree size must be a non-negative safe integer');
  if (!(input.rootHash instanceof Uint8Array) || input.rootHash.length !== HASH_SIZE) {
    throw malformed('the root hash must be 32 bytes');
  }
  if (!Array.isArray(extensions) || !extensions.every(isLine)) {
    throw malformed('extension lines must be non-empty lines');
  }
  const lines = [input.origin, String(input.size), encodeBase64(input.rootHash), ...extensions];
  return lines.map((line) => `${line}\n`).join('');
}

/**
 * Parses checkpoint note text. Defensive: the text is attacker-controlled until its signature
 * is checked, and a parsed checkpoint drives proof verification. Refuses a missing final
 * newline, CR or any other control character, empty lines, a size with a sign, leading zeros
 * or beyond 2^53, and a root that is not canonical base64 of exactly 32 bytes.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || Buffer.byteLength(text, 'utf8') > MAX_NOTE_BYTES) {
    throw malformed('a checkpoint is a short text');
  }
  if (!hasOnlyNoteCharacters(text)) throw malformed('a checkpoint contains no control characters');
  if (!text.endsWith('\n')) throw malformed('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed('a checkpoint has an origin, a size and a root hash line');
  if (lines.some((line) => line === '')) throw malformed('a checkpoint has no empty lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [
    string,
    string,
    string,
    ...string[],
  ];
  // "the ASCII decimal representation ... with no leading zeroes (unless the tree is empty)"
  const size = /^(?:0|[1-9][0-9]{0,15})$/.test(sizeLine) ? Number(sizeLine) : Number.NaN;
  if (!isTreeSize(size))
    throw malformed('the tree size is not a decimal number without leading zeros');
  const rootHash = decodeBase64Strict(rootLine);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    throw malformed('the root hash is not base64 of 32 bytes');
  }
  return { origin, size, rootHash, extensions };
}

/**
 * Opens a signed checkpoint: verifies the note (see `openNote`), parses the text, and requires
 * a verified signature by the key named like the origin, so a note signed only by some other
 * trusted key (a witness, another log) is not taken for this log's checkpoint.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): { checkpoint: Checkpoint; note: OpenedNote } {
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (!opened.signatures.some((s) => s.name === checkpoint.origin)) {
    throw new AuditError(
      'note_unverified',
      `no verified signature by the log ${checkpoint.origin}`,
    );
  }
  return { checkpoint, note: opened };
}

function isLine(s: unknown): s is string {
  return typeof s === 'string' && s !== '' && !s.includes('\n') && hasOnlyNoteCharacters(s);
}

function malformed(message: string): AuditError {
  return new AuditError('checkpoint_malformed', message);
}
