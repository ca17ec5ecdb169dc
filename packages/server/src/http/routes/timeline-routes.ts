import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditEntry } from '@countersign/core';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { IdParams, Problem } from '../schemas.js';

const Entry = Type.Object({
  index: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  type: Type.String(),
  actor: Type.Object({ kind: Type.String(), id: Type.String() }),
  data: Type.Object({}, { additionalProperties: true }),
  leaf_hash: Type.String({
    description: 'base64 RFC 9162 leaf hash: prove it with /v1/audit/proofs/inclusion',
  }),
});

/**
 * A request's audit trail, for the people who may read the request: what happened to it, in
 * log order, as recorded (redacted fields stay redacted). Readers who are not auditors see
 * these entries only, never the rest of the log.
 */
export const timelineRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/actions/:id/timeline',
      {
        config: { auth: 'agent_or_user' },
        schema: {
          operationId: 'getActionTimeline',
          summary: "The request's audit entries, oldest first",
          tags: ['agent', 'reviewer'],
          security: [{ bearer: [] }],
          params: IdParams,
          response: {
            200: Type.Object({ request_id: Type.String(), entries: Type.Array(Entry) }),
            '4xx': Problem,
            '5xx': Problem,
          },
        },
      },
      async (request) => {
        // The same visibility as the request itself: 404 for anyone who may not read it.
        await deps.actions.get(principalOf(request), request.params.id);
        const rows = await deps.audit.forRequest(request.params.id);
        return {
          request_id: request.params.id,
          entries: rows.map((row) => {
            const e = JSON.parse(row.entry) as AuditEntry;
            return {
              index: row.index,
              at: e.at,
              type: e.type,
              actor: e.actor,
              data: e.data,
              leaf_hash: row.leaf_hash,
            };
          }),
        };
      },
    );
  };
