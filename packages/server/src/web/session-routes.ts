import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CountersignError } from '@countersign/core';
import { principalOf } from '../http/auth-hook.js';
import { statusOf, toCountersignError } from '../http/problem.js';
import { Problem } from '../http/schemas.js';
import { SIGNED_OUT, SessionView, type SessionHttp } from './session-http.js';
import type { WebAuth } from './web-auth.js';

const problems = { '4xx': Problem, '5xx': Problem };
const tags = ['web'];

/**
 * The web inbox's session (docs/web.md): how to sign in here, who is signed in, signing in
 * with a one-time link, and logout. Single sign-on is in oidc-routes.ts.
 */
export const sessionRoutes =
  (web: WebAuth, http: SessionHttp): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/auth/config',
      {
        schema: {
          summary: 'How this gateway signs people in to the web inbox',
          tags,
          response: { 200: Type.Object({ sso: Type.Boolean(), login_links: Type.Boolean() }) },
        },
      },
      async () => ({ sso: web.oidc !== undefined, login_links: true }),
    );

    app.get(
      '/auth/session',
      {
        schema: {
          summary: 'The signed-in user and the CSRF token for this session (no user if none)',
          description:
            'Answers 200 either way, so that "not signed in" is not a refusal in the audit log. ' +
            'Send csrf_token in x-csrf-token with every POST made with the session cookie.',
          tags,
          response: { 200: SessionView },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const secret = web.cookies.secretOf(request);
        if (secret === undefined) return SIGNED_OUT;
        try {
          const s = await web.sessions.authenticate(secret);
          return http.view(s.principal, secret, s.expiresAt);
        } catch (e) {
          const problem = toCountersignError(e);
          if (statusOf(problem.code) >= 500) throw e;
          reply.header('set-cookie', http.clear(http.names.session));
          return { ...SIGNED_OUT, reason: problem.message };
        }
      },
    );

    app.post(
      '/auth/one-time',
      {
        schema: {
          summary: 'Sign in with a one-time login link token (the page /login/one-time posts it)',
          tags,
          body: Type.Object(
            { token: Type.String({ minLength: 1, maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: { 200: SessionView, ...problems },
        },
      },
      async (request, reply) => {
        assertSameOrigin(request);
        const session = await web.links.redeem(request.body.token);
        await http.endPrevious(request);
        reply.header('set-cookie', http.sessionCookie(session));
        reply.header('cache-control', 'no-store');
        const { principal } = await web.sessions.authenticate(session.secret);
        return http.view(principal, session.secret, session.expiresAt);
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { auth: 'user' },
        schema: {
          summary: 'End this web session (needs the CSRF token)',
          tags,
          response: { 204: Type.Null(), ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.via !== 'session') {
          throw new CountersignError(
            'invalid_request',
            'logout ends a web session; revoke a token with `countersign token revoke`',
          );
        }
        await web.sessions.revoke(principal.tokenId, principal.id);
        reply.header('set-cookie', http.clear(http.names.session));
        return reply.code(204).send(null);
      },
    );
  };

/**
 * Login CSRF: a page on another site must not be able to sign a visitor in as someone else
 * (with a link token of the attacker's). Browsers send `Origin` on every POST; it must be us.
 * Clients that send none (curl, tests) are not browsers and cannot be driven by one.
 */
function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== request.headers.host) {
    throw new CountersignError('forbidden', 'sign-in from another site is refused', {
      reason: 'cross_origin',
    });
  }
}
