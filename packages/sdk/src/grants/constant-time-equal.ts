/**
 * Compares two strings in time that depends only on their lengths (STYLE.md rule 4: every
 * secret or digest comparison goes through one constant-time helper).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
