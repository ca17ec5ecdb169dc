import type { FastifyRequest } from 'fastify';
import { CountersignError } from '@countersign/core';
import type { Principal } from '../auth/principal.js';
import type { TokenService } from '../auth/token-service.js';
import type { SessionAuthenticator } from '../web/cookie-sessions.js';

/**
 * Who may call a route. `agent` routes refuse user tokens and vice versa: an agent token can
 * never reach a reviewer or admin endpoint, whatever else is wrong with the request.
 */
export type AuthRequirement =
  'agent' | 'user' | 'admin' | 'auditor' | 'agent_or_admin' | 'agent_or_user';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const NEEDS: Record<AuthRequirement, string> = {
  agent: 'an agent token',
  user: 'a user token',
  admin: "an admin's token",
  auditor: "an auditor's or an admin's token",
  agent_or_admin: "an agent token or an admin's token",
  agent_or_user: 'an agent or a user token',
};

export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match)
    throw new CountersignError('unauthenticated', 'expected "Authorization: Bearer <token>"');
  return match[1];
}

/**
 * A bearer token, or else a web session cookie (a user, never an agent). A request with both
 * is judged by its token alone: an API client's stray cookie must not change who it is.
 */
export function authHook(tokens: TokenService, sessions?: SessionAuthenticator) {
  return async (request: FastifyRequest): Promise<void> => {
    const need = request.routeOptions.config.auth;
    if (need === undefined) return;
    const viaCookie =
      sessions !== undefined &&
      request.headers.authorization === undefined &&
      sessions.present(request);
    const principal = viaCookie
      ? (await sessions.authenticate(request)).principal
      : await tokens.authenticate(bearer(request));
    // Known before the role check, so a refusal records who was refused.
    request.principal = principal;
    // Browsers attach cookies to cross-site requests too; only our own pages know the token.
    if (viaCookie) sessions.checkCsrf(request);
    const ok =
      need === 'agent'
        ? principal.kind === 'agent'
        : need === 'user'
          ? principal.kind === 'user'
          : need === 'admin'
            ? principal.kind === 'user' && principal.admin
            : need === 'auditor'
              ? principal.kind === 'user' && (principal.admin || principal.auditor)
              : need === 'agent_or_admin'
                ? principal.kind === 'agent' || principal.admin
                : true;
    if (!ok) {
      throw new CountersignError('forbidden', `this endpoint needs ${NEEDS[need]}`, {
        required: need,
      });
    }
  };
}

/** The authenticated caller of a route that declared `config.auth`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new CountersignError('unauthenticated', 'not authenticated');
  return request.principal;
}
