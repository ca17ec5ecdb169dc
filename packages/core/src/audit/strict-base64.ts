/**
 * Standard base64 (RFC 4648 §4), as used by C2SP signed notes and checkpoints, decoded strictly.
 * Node's `Buffer.from(s, 'base64')` silently skips junk, accepts the URL-safe alphabet and
 * missing padding, so two different strings could decode to the same bytes; on signed,
 * attacker-controlled text we accept only the one canonical encoding of each byte string.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes, or `undefined` if `s` is not canonical padded standard base64. */
export function decodeBase64Strict(s: string): Buffer | undefined {
  if (!BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  // Reject non-zero bits in the last character's unused low bits ("AB==" vs "AA==").
  return bytes.toString('base64') === s ? bytes : undefined;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
