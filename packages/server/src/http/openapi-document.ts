import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { Problem } from './schemas.js';

/**
 * What /openapi.json says beyond the route schemas: the licence, the tags, the security
 * schemes, and a transform that keeps the document true to the routes. It is a contract other
 * tools read (client generators, API gateways), linted with Redocly's recommended rules in
 * test/openapi-lint.test.ts.
 */

/** Tags, in the order a reader meets them. */
const TAGS = [
  { name: 'agent', description: 'What an agent calls: submit a request, wait for its decision.' },
  { name: 'reviewer', description: 'What approvers call: list, read and vote on requests.' },
  { name: 'grants', description: 'Signed grants: verify, redeem, and the keys that check them.' },
  { name: 'audit', description: 'The signed, append-only audit log and its proofs (RFC 9162).' },
  { name: 'admin', description: 'Policy: the loaded document and dry runs.' },
  {
    name: 'authzen',
    description:
      'OpenID AuthZEN Authorization API 1.0: Countersign as a Policy Decision Point (docs/authzen.md).',
  },
  {
    name: 'channels',
    description:
      'Callbacks of chat channels (Slack, Teams): authenticated by the vendor signature, not a token.',
  },
  { name: 'web', description: 'Sign-in and session of the web inbox.' },
  { name: 'system', description: 'Health, readiness, metrics and this document.' },
];

/** Problem details for the error responses of routes owned elsewhere (channels, web). */
const problems = { '4xx': Problem, '5xx': Problem };

/**
 * Operations registered outside http/routes (chat channels, the web inbox's sign-in): their
 * operationId and the responses a client sees, kept here so that the document is complete
 * without those modules knowing about it. Documentation only: the transform never changes how
 * a route validates or serialises.
 */
const ELSEWHERE: Record<string, Record<string, unknown>> = {
  'POST /slack/interactions': {
    operationId: 'slackInteraction',
    description:
      'Slack sends button clicks here. No token: each request is authenticated by its Slack ' +
      'signature (`X-Slack-Signature`, HMAC-SHA256 of `v0:timestamp:body` with the signing ' +
      'secret, timestamp within 5 minutes, replays refused), as Slack documents at ' +
      'https://api.slack.com/authentication/verifying-requests-from-slack.',
    response: {
      200: { description: 'Acknowledged; the body, if any, is a Slack response message.' },
      ...problems,
    },
  },
  'POST /api/messages': {
    operationId: 'teamsActivity',
    description:
      'The Bot Framework Connector sends Teams activities here. No Countersign token: the ' +
      "`Authorization` header carries the Bot Connector's JWT, checked against its OpenID " +
      'metadata (issuer, audience = the app id, signature, service URL), as Microsoft documents ' +
      'at https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication.',
    response: {
      200: { description: 'Accepted; for a card action, the Adaptive Card invoke response.' },
      ...problems,
    },
  },
  'GET /auth/config': { operationId: 'getAuthConfig', response: problems },
  'GET /auth/session': { operationId: 'getSession', response: problems },
  'POST /auth/one-time': { operationId: 'redeemLoginLink' },
  'POST /auth/logout': { operationId: 'logout' },
  'GET /auth/login': {
    operationId: 'startSingleSignOn',
    response: { 200: { description: 'Not answered: the identity provider is reached by 302.' } },
  },
  'GET /auth/callback': { operationId: 'finishSingleSignOn' },
};

interface TransformInput {
  schema: unknown;
  url: string;
  route: { method: string | string[]; config?: { auth?: string } };
}

/**
 * Fills in what the route does not say itself. A route with no `config.auth` needs no token
 * (auth-hook.ts), so it is marked `security: []` (OpenAPI 3.1 §4.8.10: an empty list removes
 * the document's top-level requirement); a route that declares its own security keeps it.
 */
export function describeOperation({ schema, url, route }: TransformInput): {
  schema: Record<string, unknown>;
  url: string;
} {
  const own = (schema ?? {}) as Record<string, unknown>;
  const method = Array.isArray(route.method) ? route.method[0] : route.method;
  const extra = ELSEWHERE[`${method} ${url}`] ?? {};
  const response = {
    ...(own.response as Record<string, unknown> | undefined),
    ...(extra.response as Record<string, unknown> | undefined),
  };
  const out: Record<string, unknown> = { ...extra, ...own, response };
  if (own.description === undefined && extra.description !== undefined) {
    out.description = extra.description;
  }
  if (out.security === undefined && route.config?.auth === undefined) out.security = [];
  return { schema: out, url };
}

/** The @fastify/swagger options: OpenAPI 3.1 with the gateway's own URL as its server. */
export function openApiOptions(publicUrl: string, version: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Countersign',
        version,
        description: 'Human approval gateway for the privileged actions of AI agents.',
        // The licence of the repository (package.json, LICENSE).
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: publicUrl, description: 'This gateway (its public_url)' }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API token (`countersign token create`). The web inbox may instead send its ' +
              'session cookie with the `x-csrf-token` header on user routes.',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: describeOperation,
  };
}
