import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { Problem } from '../schemas.js';
import { AuthZenPdp, evidenceOf } from '../../authzen/authzen-pdp.js';
import { withDefaults } from '../../authzen/authzen-mapping.js';
import {
  Decision,
  EvaluationBody,
  EvaluationsBody,
  EvaluationsResponse,
  PdpMetadata,
} from '../../authzen/authzen-schemas.js';

/** §10.1.3: a PEP's `X-Request-ID` worth echoing: visible ASCII, bounded. */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * OpenID AuthZEN Authorization API 1.0 (final): the evaluation endpoints (§6, §7) and the PDP
 * metadata (§9), at the default paths of §10.1. Authenticated like the native API (a PEP is an
 * agent asking about itself, or an admin asking about any agent, §11.2); refusals are the same
 * problem+json 4xx, audited, and every answer is audited before it is sent. Mapping:
 * authzen/authzen-mapping.ts; decisions: authzen/authzen-pdp.ts.
 */
export const authzenRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const pdp = new AuthZenPdp({
      policy: deps.policy,
      directory: deps.directory,
      actions: deps.actions,
      publicUrl: deps.publicUrl,
      now: deps.now ?? Date.now,
    });

    // §10.1.3: "If the PEP specified a request identifier in the request, the PDP MUST include
    // the same identifier in the response", refusals included (onSend runs for those too).
    app.addHook('onSend', (request, reply, payload, done) => {
      const given = request.headers['x-request-id'];
      if (typeof given === 'string' && REQUEST_ID.test(given)) reply.header('x-request-id', given);
      done(null, payload);
    });

    const common = {
      config: { auth: 'agent_or_admin' as const },
      tags: ['authzen'],
      security: [{ bearer: [] }],
    };

    app.post(
      '/access/v1/evaluation',
      {
        config: common.config,
        schema: {
          operationId: 'authzenEvaluation',
          summary: 'AuthZEN 1.0 §6 Access Evaluation: may this agent do this now?',
          tags: common.tags,
          security: common.security,
          body: EvaluationBody,
          response: { 200: Decision, '4xx': Problem, '5xx': Problem },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const mapped = pdp.prepare(principal, [request.body]);
        const decision = await pdp.decide(principal, mapped[0]);
        // Evidence before the answer: a PEP may act on it the moment it arrives.
        await deps.record(evidenceOf(principal, mapped, [decision]));
        return decision;
      },
    );

    app.post(
      '/access/v1/evaluations',
      {
        config: common.config,
        schema: {
          operationId: 'authzenEvaluations',
          summary: 'AuthZEN 1.0 §7 Access Evaluations: several evaluations in one call',
          tags: common.tags,
          security: common.security,
          body: EvaluationsBody,
          response: { 200: EvaluationsResponse, '4xx': Problem, '5xx': Problem },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const body = request.body;
        const mapped = pdp.prepare(principal, withDefaults(body));
        const semantic = body.options?.evaluations_semantic ?? 'execute_all';
        const decisions = await pdp.decideAll(principal, mapped, semantic);
        await deps.record(evidenceOf(principal, mapped, decisions));
        // §7.1: without an `evaluations` array the call is a single evaluation (§6.2);
        // §7.2: otherwise the decisions in request order, the top-level `decision` omitted.
        return body.evaluations?.length ? { evaluations: decisions } : decisions[0];
      },
    );

    // §9.2: public, like any discovery document; §11.9: cacheable.
    app.get(
      '/.well-known/authzen-configuration',
      {
        schema: {
          operationId: 'authzenConfiguration',
          summary: 'AuthZEN 1.0 §9 Policy Decision Point metadata',
          tags: common.tags,
          response: { 200: PdpMetadata, '4xx': Problem, '5xx': Problem },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        // §9.1.1: the identifier is the public URL the metadata was derived from (§9.2.3).
        return {
          policy_decision_point: deps.publicUrl,
          access_evaluation_endpoint: `${deps.publicUrl}/access/v1/evaluation`,
          access_evaluations_endpoint: `${deps.publicUrl}/access/v1/evaluations`,
        };
      },
    );
  };
