import { basename } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { describeQuorum, type PolicyRule } from '@countersign/core';
import type { AppDeps } from '../app.js';
import { Problem } from '../schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);
const Globs = Type.Optional(Type.Array(Type.String()));

const RuleView = Type.Object({
  id: Type.String(),
  description: Nullable(Type.String()),
  match: Type.Object({ action: Globs, resource: Globs, environment: Globs, agent: Globs }),
  when: Nullable(Type.String()),
  effect: Type.String(),
  reason: Nullable(Type.String()),
  /** `2 of data-owners`, for approval rules. */
  approvers: Nullable(Type.String()),
  approval: Nullable(Type.Object({}, { additionalProperties: true })),
  line: Type.Integer(),
});

/**
 * The policy in force, for admins and auditors: what the web inbox's policy page shows. The
 * same document `countersign policy explain` reads, normalised (durations in milliseconds).
 */
export const policyDocumentRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/policy',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'getPolicy',
          summary: 'The loaded policy: version, defaults and rules',
          tags: ['admin', 'audit'],
          security: [{ bearer: [] }],
          response: {
            200: Type.Object({
              version: Type.String(),
              file: Type.String(),
              defaults: Type.Object({
                decision: Type.String(),
                approval_timeout_ms: Type.Number(),
                on_timeout: Type.String(),
              }),
              redact: Type.Array(Type.String()),
              rules: Type.Array(RuleView),
            }),
            '4xx': Problem,
            '5xx': Problem,
          },
        },
      },
      async () => {
        const policy = deps.policy.current;
        const d = policy.document.defaults;
        return {
          version: policy.version,
          // The file name only: the server's directory layout is nobody's business.
          file: basename(deps.policy.file),
          defaults: {
            decision: d.decision,
            approval_timeout_ms: d.approval.timeout_ms,
            on_timeout: d.approval.on_timeout,
          },
          redact: [...policy.redact],
          rules: policy.rules.map(ruleView),
        };
      },
    );
  };

function ruleView(r: PolicyRule) {
  return {
    id: r.id,
    description: r.description ?? null,
    match: r.match,
    when: r.when ?? null,
    effect: r.effect,
    reason: r.reason ?? null,
    approvers: r.approval ? describeQuorum(r.approval) : null,
    approval: r.approval ? { ...r.approval } : null,
    line: r.location.line,
  };
}
