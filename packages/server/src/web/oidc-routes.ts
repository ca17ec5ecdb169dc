import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CountersignError } from '@countersign/core';
import { statusOf, toCountersignError } from '../http/problem.js';
import { Problem } from '../http/schemas.js';
import { readCookie } from './cookies.js';
import { directoryUserFor } from './oidc-user.js';
import { safeReturnPath } from './return-path.js';
import type { SessionHttp } from './session-http.js';
import type { WebAuth } from './web-auth.js';

const tags = ['web'];
/** Seconds the `state` cookie lives: as long as a sign-in in progress (oidc-login.ts). */
const STATE_COOKIE_SECONDS = 600;

/**
 * Single sign-on (docs/web.md): `GET /auth/login` sends the browser to the IdP, the callback
 * opens a session. The callback is a browser navigation, so it answers with redirects only: to
 * where sign-in started, or to `/login?error=<reason>` (and the refusal is recorded).
 */
export const oidcRoutes =
  (
    web: WebAuth,
    http: SessionHttp,
    recordRefusal?: (request: FastifyRequest, problem: CountersignError) => Promise<void>,
  ): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/auth/login',
      {
        schema: {
          summary: 'Start single sign-on: redirects to the identity provider',
          tags,
          querystring: Type.Object(
            { return_to: Type.Optional(Type.String({ maxLength: 2000 })) },
            { additionalProperties: false },
          ),
          response: { 302: Type.Null(), '4xx': Problem, '5xx': Problem },
        },
      },
      async (request, reply) => {
        if (!web.oidc) throw new CountersignError('not_found', 'single sign-on is not configured');
        const { url, state } = await web.oidc.login.start(safeReturnPath(request.query.return_to));
        reply.header('set-cookie', http.stateCookie(state, STATE_COOKIE_SECONDS));
        reply.header('cache-control', 'no-store');
        return reply.redirect(url, 302);
      },
    );

    const oidc = web.oidc;
    if (!oidc) return;
    app.get(
      oidc.login.redirectPath,
      {
        schema: {
          summary: "The identity provider's redirect back: opens a session, then redirects",
          description:
            'On success: the session cookie and a redirect to where sign-in started. On ' +
            'failure: a redirect to /login?error=<reason> (the refusal is recorded).',
          tags,
          response: { 302: Type.Null() },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        try {
          const done = await oidc.login.finish(
            new URL(request.url, web.publicUrl),
            readCookie(request.headers.cookie, http.names.oidc),
          );
          const { user, groups } = directoryUserFor(web.directory, done.claims, oidc.settings);
          await http.endPrevious(request);
          const session = await web.sessions.open({
            via: 'oidc',
            user: user.id,
            groups,
            evidence: { idp: { issuer: done.issuer, sub: done.claims.sub } },
          });
          reply.header('set-cookie', [http.sessionCookie(session), http.clear(http.names.oidc)]);
          return reply.redirect(done.returnTo, 302);
        } catch (e) {
          const problem = toCountersignError(e);
          if (statusOf(problem.code) >= 500) request.log.error({ err: e }, 'sign-in failed');
          else {
            request.log.info({ code: problem.code, detail: problem.message }, 'sign-in refused');
            await recordRefusal?.(request, problem);
          }
          const reason =
            typeof problem.extra.reason === 'string' ? problem.extra.reason : problem.code;
          reply.header('set-cookie', http.clear(http.names.oidc));
          return reply.redirect(`/login?error=${encodeURIComponent(reason)}`, 302);
        }
      },
    );
  };
