/** Base64url without padding (RFC 4648 §5), as JWS uses it (RFC 7515 §2). */
export function base64UrlDecode(text: string): Uint8Array {
  // Attacker-controlled: anything outside the alphabet is refused, not skipped by atob.
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError('not base64url');
  }
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
