/**
 * Character rules shared by signed notes and checkpoints (C2SP signed-note "Format"): valid
 * UTF-8 and no ASCII control character other than newline. A JS string cannot hold invalid
 * UTF-8, but it can hold a lone surrogate, which has no UTF-8 encoding: the bytes we would
 * verify would not be the text we return, so it is refused like any other bad character.
 */
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f]|\p{Cs}/u; // eslint-disable-line no-control-regex

/** Notes larger than this are refused unread. Checkpoints are ~150 bytes; 16 post-quantum
 * signatures (the minimum C2SP asks verifiers to accept) are ~110 KB. */
export const MAX_NOTE_BYTES = 256 * 1024;

export function hasOnlyNoteCharacters(s: string): boolean {
  return !FORBIDDEN.test(s);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The note as a string, or undefined if it is too large or (as bytes) not valid UTF-8. */
export function decodeNote(note: string | Uint8Array): string | undefined {
  if (typeof note === 'string') {
    return Buffer.byteLength(note, 'utf8') <= MAX_NOTE_BYTES ? note : undefined;
  }
  if (!(note instanceof Uint8Array) || note.length > MAX_NOTE_BYTES) return undefined;
  try {
    return UTF8.decode(note);
  } catch {
    return undefined;
  }
}

/**
 * C2SP key names: non-empty, no Unicode spaces (Go's unicode.IsSpace, which adds U+0085 to
 * \s), no plus. We also refuse control characters and lone surrogates, which could not appear
 * in a well-formed note anyway.
 */
export function isValidKeyName(name: unknown): name is string {
  return typeof name === 'string' && /^[^\s\u0085\p{Z}\p{Cc}\p{Cs}+]+$/u.test(name);
}
