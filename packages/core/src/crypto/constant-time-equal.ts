import { timingSafeEqual } from 'node:crypto';

/**
 * The one constant-time comparison for secrets, MACs and digests (STYLE.md rule 4): tokens,
 * chat signatures, Merkle roots. A length difference is not secret and returns early.
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}
