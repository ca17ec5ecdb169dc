import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { CountersignError } from '@countersign/core';
import { oidcRoutes } from './oidc-routes.js';
import { SessionHttp } from './session-http.js';
import { sessionRoutes } from './session-routes.js';
import { spaRoutes } from './spa-routes.js';
import type { WebAuth } from './web-auth.js';

export interface WebDeps {
  auth: WebAuth;
  /** packages/web/dist; undefined serves a "not built" problem in place of the pages. */
  assetsDir: string | undefined;
}

/** The web inbox: sign-in routes and the pages (http/app.ts registers it). */
export const webPlugin =
  (
    deps: WebDeps,
    recordRefusal?: (request: FastifyRequest, problem: CountersignError) => Promise<void>,
  ): FastifyPluginAsync =>
  async (app) => {
    const http = new SessionHttp(deps.auth);
    await app.register(sessionRoutes(deps.auth, http));
    await app.register(oidcRoutes(deps.auth, http, recordRefusal));
    await app.register(spaRoutes(deps.assetsDir));
  };
