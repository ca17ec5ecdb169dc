import type { FastifyRequest } from 'fastify';
import { CountersignError, constantTimeEqual } from '@countersign/core';
import { cookieNames, readCookie } from './cookies.js';
import type { AuthenticatedSession, SessionService } from './session-service.js';
import { csrfTokenFor } from './web-secret.js';

/** The header a page sends its CSRF token in (read from GET /auth/session). */
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that change nothing (RFC 9110 §9.2.1 "safe"): no CSRF token needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie sessions as the API's auth hook sees them (http/auth-hook.ts): a user principal,
 * like a user bearer token, plus a CSRF check, because a browser attaches the cookie to
 * requests that other sites' pages make, and never attaches a bearer token.
 */
export interface SessionAuthenticator {
  /** The request carries a session cookie. */
  present(request: FastifyRequest): boolean;
  /** The session's user, or a 401 (`invalid_token`, `token_revoked`) saying why not. */
  authenticate(request: FastifyRequest): Promise<AuthenticatedSession>;
  /** Throws 403 `forbidden` (reason `csrf`) for a state-changing method without the right token. */
  checkCsrf(request: FastifyRequest): void;
}

export class CookieSessions implements SessionAuthenticator {
  readonly cookie: string;

  constructor(
    private readonly sessions: SessionService,
    readonly secure: boolean,
  ) {
    this.cookie = cookieNames(secure).session;
  }

  secretOf(request: FastifyRequest): string | undefined {
    return readCookie(request.headers.cookie, this.cookie);
  }

  present(request: FastifyRequest): boolean {
    return this.secretOf(request) !== undefined;
  }

  authenticate(request: FastifyRequest): Promise<AuthenticatedSession> {
    const secret = this.secretOf(request);
    if (secret === undefined) throw new CountersignError('unauthenticated', 'not signed in');
    return this.sessions.authenticate(secret);
  }

  checkCsrf(request: FastifyRequest): void {
    if (SAFE_METHODS.has(request.method)) return;
    const secret = this.secretOf(request) ?? '';
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !constantTimeEqual(sent, csrfTokenFor(secret))) {
      throw new CountersignError(
        'forbidden',
        `a request signed in with a session cookie must send its CSRF token in ${CSRF_HEADER}`,
        { reason: 'csrf' },
      );
    }
  }
}
