import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../app.js';

/** Health, readiness, metrics and the OpenAPI document: no authentication. */
export const systemRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      { schema: { hide: true, response: { 200: Type.Object({ status: Type.String() }) } } },
      async () => ({ status: 'ok' }),
    );

    // Ready means: the store answers and a policy is loaded. A load balancer stops sending
    // traffic to a replica that cannot decide (fail closed at the edge too).
    app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
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
    });

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    });

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  };
