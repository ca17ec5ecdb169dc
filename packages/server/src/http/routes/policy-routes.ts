import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DEFAULT_ENVIRONMENT,
  actionDigest,
  explainDecision,
  type JsonObject,
} from '@countersign/core';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { evaluateAs, evaluatingAgent } from '../../policy/evaluate-as.js';
import { EvaluateBody, EvaluateResponse, Problem } from '../schemas.js';

/** Policy dry runs: nothing is recorded as a request. */
export const policyRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/v1/policy/evaluate',
      {
        config: { auth: 'agent_or_admin' },
        schema: {
          operationId: 'evaluatePolicy',
          summary: 'Dry-run the policy on a request and explain the decision',
          tags: ['agent', 'admin'],
          security: [{ bearer: [] }],
          body: EvaluateBody,
          response: { 200: EvaluateResponse, '4xx': Problem, '5xx': Problem },
        },
      },
      async (request) => {
        const body = request.body;
        const agentId = evaluatingAgent(principalOf(request), body.agent);
        const spec = {
          action: body.action,
          resource: body.resource,
          environment: body.environment ?? DEFAULT_ENVIRONMENT,
          params: (body.params ?? {}) as JsonObject,
        };
        const decision = evaluateAs(deps.policy, deps.directory, agentId, {
          ...spec,
          risk: body.risk,
          justification: body.justification,
          on_behalf_of: body.on_behalf_of,
          context: body.context as JsonObject | undefined,
        });
        return {
          decision: decision.decision,
          reason: decision.reason,
          rules: decision.rules,
          digest: actionDigest(spec),
          policy_version: decision.policy_version,
          approval: decision.approval ?? null,
          explanation: decision.trace,
          explanation_text: explainDecision(decision),
        };
      },
    );
  };
