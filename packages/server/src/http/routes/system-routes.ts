import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../app.js';
import { Problem, problemResponse } from '../schemas.js';

/**
 * Anyone may call these (probes, scrapers, client generators): no token. Their `4xx` is the
 * framework's refusal of a malformed request, answered as problem+json like every other.
 */
const security: [] = [];
const tags = ['system'];

/** Health, readiness, metrics and the OpenAPI document: no authentication. */
export const systemRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          operationId: 'getHealth',
          summary: 'Liveness: the process answers (checks nothing else)',
          tags,
          security,
          response: { 200: Type.Object({ status: Type.String() }), '4xx': Problem },
        },
      },
      async () => ({ status: 'ok' }),
    );

    // Ready means: the store answers and a policy is loaded. A load balancer stops sending
    // traffic to a replica that cannot decide (fail closed at the edge too).
    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'getReadiness',
          summary: 'Readiness: the store answers within 1 s and a policy is loaded',
          tags,
          security,
          response: {
            200: Type.Object({ status: Type.String(), policy_version: Type.String() }),
            503: problemResponse('Not ready: take this replica out of rotation'),
            '4xx': Problem,
          },
        },
      },
      async (request, reply) => {
        try {
          await deps.ready();
          return { status: 'ready', policy_version: deps.policy.current.version };
        } catch (e) {
          request.log.warn({ err: e }, 'not ready');
          return reply.code(503).type('application/problem+json').send({
            type: 'urn:countersign:problem:storage_unavailable',
            title: 'storage unavailable',
            status: 503,
            code: 'storage_unavailable',
            detail: 'the store does not answer',
          });
        }
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'getMetrics',
          summary: 'Prometheus metrics in the text exposition format (docs/operations.md)',
          tags,
          security,
          response: {
            200: {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: Type.String() } },
            },
            '4xx': Problem,
          },
        },
      },
      async (_request, reply) => {
        const body = await deps.metrics.registry.metrics();
        return reply.type(deps.metrics.registry.contentType).send(body);
      },
    );

    app.get(
      '/openapi.json',
      {
        schema: {
          operationId: 'getOpenApiDocument',
          summary: 'This OpenAPI 3.1 document',
          tags,
          security,
          response: {
            200: Type.Object({}, { additionalProperties: true, description: 'OpenAPI 3.1' }),
            '4xx': Problem,
          },
        },
      },
      async () => app.swagger(),
    );
  };
