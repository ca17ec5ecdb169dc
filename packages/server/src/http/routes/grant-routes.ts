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
import { MAX_GRANT_LENGTH, type GrantCheck } from '../../grants/grant-service.js';

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
 * Grant checks for target systems, and the public keys to check grants offline.
 *
 * No bearer token: the grant itself is the capability. A target system should not need a
 * Countersign account to check what it is shown, and a token would add nothing: the answer
 * only says whether the signed grant in hand is good, and redeeming needs the grant anyway.
 */
export const grantRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/v1/grants/verify',
      {
        schema: {
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
          summary: 'Check a grant and use it up: a second redeem is 409 grant_used',
          tags: ['grants'],
          body: GrantBody,
          response: { 200: GrantCheckView, ...problems },
        },
      },
      async (request) =>
        view(await deps.grants.redeem(request.body.grant, expectation(request.body))),
    );

    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
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
