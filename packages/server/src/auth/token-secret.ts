import { hash, randomBytes } from 'node:crypto';

export type PrincipalKind = 'agent' | 'user';

/**
 * Bearer tokens are 256 random bits with a readable prefix (`csa_` agent, `csu_` user) so a
 * leaked token is recognisable in logs and by secret scanners. Because they are high-entropy,
 * a plain SHA-256 is the right storage hash (no password-style stretching needed), and lookup
 * is by hash, so the plaintext never needs comparing.
 */
export function generateToken(kind: PrincipalKind): string {
  return `${kind === 'agent' ? 'csa' : 'csu'}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** A well-formed token: prefix, underscore, 43 base64url characters. Anything else is refused unread. */
export function looksLikeToken(token: string): boolean {
  return /^cs[au]_[A-Za-z0-9_-]{43}$/.test(token);
}
