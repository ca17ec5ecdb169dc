import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Session cookies and login-link tokens are 256 random bits, base64url. Like bearer tokens
 * (auth/token-secret.ts) they are high-entropy, so a plain SHA-256 is the right storage hash and
 * lookup is by hash: the database never holds a usable secret.
 */
export function generateSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** 43 base64url characters after an optional prefix; anything else is refused unread. */
export function looksLikeSecret(value: string, prefix = ''): boolean {
  return value.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}

const CSRF_LABEL = 'countersign web csrf v1';

/**
 * The CSRF synchronizer token of a session: HMAC-SHA256 keyed with the session's cookie secret.
 * Only a page that can read our JSON (same origin: we send no CORS headers) learns it, and only
 * someone holding the cookie can derive it, so nothing extra is stored and it dies with the
 * session (OWASP CSRF cheat sheet, "synchronizer token pattern"; HMAC-bound variant).
 */
export function csrfTokenFor(sessionSecret: string): string {
  return createHmac('sha256', sessionSecret).update(CSRF_LABEL).digest('base64url');
}
