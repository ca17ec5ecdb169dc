import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import {
  CountersignError,
  DEFAULT_ENVIRONMENT,
  type ActionSpec,
  type JsonObject,
} from '@countersign/core';
import type { AppDeps } from '../app.js';
import { ActionRequestBody, Problem } from '../schemas.js';
import { MAX_GRANT_LENGTH, type GrantCheck, type Redeemer } from '../../grants/grant-service.js';
import { bearer } from '../auth-hook.js';

const GrantBody = Type.Object(
  {
    grant: Type.String({
      minLength: 1,
      maxLength: MAX_GRANT_LENGTH,
      description: 'The compact JWS',
    }),
    action: Type.Optional(ActionRequestBody.properties.action),
    resource: Type.Optional(ActionRequestBody.properties.resource),
    environment: ActionRequestBody.properties.environment,
    params: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  {
    additionalProperties: false,
    description:
      'With action and resource (environment and params default as in POST /v1/actions), the grant must have been issued for exactly that action.',
  },
);
type GrantBody = Static<typeof GrantBody>;

const GrantCheckView = Type.Object({
  valid: Type.Literal(true),
  claims: Type.Object({
    iss: Type.String(),
    sub: Type.String(),
    aud: Type.String(),
    jti: Type.String(),
    iat: Type.Integer(),
    exp: Type.Integer(),
    request_id: Type.String(),
    action: Type.String(),
    resource: Type.String(),
    environment: Type.String(),
    digest: Type.String(),
    approvers: Type.Array(Type.String()),
    basis: Type.String(),
    policy_version: Type.String(),
  }),
  redeemed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      crv: Type.String(),
      x: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.String(),
    }),
  ),
});

const problems = { '4xx': Problem, '5xx': Problem };

/** The action a caller expects the grant to cover: all of it, or none of it. */
function expectation(body: GrantBody): ActionSpec | undefined {
  const { action, resource, environment, params } = body;
  if (action === undefined && resource === undefined && environment === undefined && !params) {
    return undefined;
  }
  if (action === undefined || resource === undefined) {
    throw new CountersignError(
      'invalid_request',
      'to check the grant against an action give at least action and resource (environment and params default as in POST /v1/actions), or none of them',
    );
  }
  return {
    action,
    resource,
    environment: environment ?? DEFAULT_ENVIRONMENT,
    params: (params ?? {}) as JsonObject,
  };
}

const view = (c: GrantCheck) => ({
  valid: c.valid,
  claims: c.claims,
  redeemed_at: c.redeemed_at === null ? null : new Date(c.redeemed_at).toISOString(),
});

/**
 * Who is redeeming, if they presented a bearer token: an agent token must then be the grant's
 * subject (GrantService.redeem); a user token is a target system's own credential. A token
 * that is presented must be good (401 otherwise): a bad one is not quietly treated as none.
 * Cookies are ignored here: a browser session has no business redeeming grants, and the
 * route carries no CSRF check.
 */
async function redeemerOf(request: FastifyRequest, deps: AppDeps): Promise<Redeemer | undefined> {
  if (request.headers.authorization === undefined) return undefined;
  const principal = await deps.tokens.authenticate(bearer(request));
  // Known before the grant is judged, so a refusal is recorded against who was refused.
  request.principal = principal;
  return { kind: principal.kind, id: principal.id };
}

/**
 * Grant checks for target systems, and the public keys to check grants offline.
 *
 * No bearer token needed: the grant itself is the capability. A target system should not need
 * a Countersign account to check what it is shown. Redeem takes an optional token: an agent
 * that presents its own may redeem only grants issued to it (`sub`), and the redemption's
 * audit entry names whoever authenticated (docs/grants.md).
 */
export const grantRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/v1/grants/verify',
      {
        schema: {
          operationId: 'verifyGrant',
          summary: 'Check a grant (signature, expiry, and optionally the exact action)',
          description: 'Does not use the grant up; reports whether it was redeemed.',
          tags: ['grants'],
          body: GrantBody,
          response: { 200: GrantCheckView, ...problems },
        },
      },
      async (request) =>
        view(await deps.grants.verify(request.body.grant, expectation(request.body))),
    );

    app.post(
      '/v1/grants/redeem',
      {
        schema: {
          operationId: 'redeemGrant',
          summary: 'Check a grant and use it up: a second redeem is 409 grant_used',
          description:
            "No token needed. With an agent token, the agent must be the grant's subject (403 not_subject); with a user token, the redemption is recorded under that user.",
          tags: ['grants'],
          // Optional bearer (OpenAPI 3.1: the empty requirement means none is needed).
          security: [{}, { bearer: [] }],
          body: GrantBody,
          response: { 200: GrantCheckView, ...problems },
        },
      },
      async (request) => {
        const by = await redeemerOf(request, deps);
        return view(await deps.grants.redeem(request.body.grant, expectation(request.body), by));
      },
    );

    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          operationId: 'getGrantKeys',
          summary: 'Public keys that verify grants (RFC 7517 JWK Set)',
          tags: ['grants'],
          response: { 200: Jwks, ...problems },
        },
      },
      async (_request, reply) => {
        // Five minutes: short next to any grant's life after a rotation, yet a busy target
        // system does not ask on every request. jose's remote JWKS refetches on an unknown kid.
        reply.header('cache-control', 'public, max-age=300');
        return deps.grants.keys.jwks();
      },
    );
  };
