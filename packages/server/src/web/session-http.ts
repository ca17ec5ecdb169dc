import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Principal } from '../auth/principal.js';
import { cookieNames, setCookieHeader } from './cookies.js';
import type { OpenedSession } from './session-service.js';
import type { WebAuth } from './web-auth.js';
import { csrfTokenFor } from './web-secret.js';

const UserView = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  groups: Type.Array(Type.String()),
  admin: Type.Boolean(),
  auditor: Type.Boolean(),
});

/** What the page runs on: who is signed in, the CSRF token, until when. */
export const SessionView = Type.Object({
  user: Type.Union([UserView, Type.Null()]),
  csrf_token: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Why there is no user (an expired or ended session), for the sign-in page. */
  reason: Type.Union([Type.String(), Type.Null()]),
});

export const SIGNED_OUT = { user: null, csrf_token: null, expires_at: null, reason: null };

/** The cookies and views the sign-in routes share (session-routes.ts, oidc-routes.ts). */
export class SessionHttp {
  readonly names: { session: string; oidc: string };

  constructor(private readonly web: WebAuth) {
    this.names = cookieNames(web.secure);
  }

  sessionCookie(s: OpenedSession): string {
    const maxAge = (s.expiresAt - this.web.now()) / 1000;
    return setCookieHeader(this.names.session, s.secret, { maxAge, secure: this.web.secure });
  }

  stateCookie(state: string, maxAge: number): string {
    return setCookieHeader(this.names.oidc, state, { maxAge, secure: this.web.secure });
  }

  clear(name: string): string {
    return setCookieHeader(name, '', { maxAge: 0, secure: this.web.secure });
  }

  view(principal: Principal, secret: string, expiresAt: number) {
    const u = this.web.directory.user(principal.id);
    return {
      user: {
        id: principal.id,
        name: u?.name ?? null,
        email: u?.email ?? null,
        groups: [...principal.groups],
        admin: principal.admin,
        auditor: principal.auditor,
      },
      csrf_token: csrfTokenFor(secret),
      expires_at: new Date(expiresAt).toISOString(),
      reason: null,
    };
  }

  /** A new sign-in ends the session this browser had, so one browser holds one session. */
  async endPrevious(request: FastifyRequest): Promise<void> {
    const secret = this.web.cookies.secretOf(request);
    if (secret === undefined) return;
    const previous = await this.web.sessions.authenticate(secret).catch(() => undefined);
    if (previous) await this.web.sessions.revoke(previous.principal.tokenId, previous.principal.id);
  }
}
