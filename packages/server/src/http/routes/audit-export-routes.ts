import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CountersignError } from '@countersign/core';
import type { AuditLog } from '../../audit/audit-log.js';
import { ocsfExport } from '../../audit/ocsf-export.js';
import { Problem } from '../schemas.js';

const Index = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/**
 * The log for a SIEM: every entry as an OCSF 1.9 event, streamed as NDJSON (docs/ocsf.md).
 * The same readers as the other audit routes (auditors and admins); everyone else is refused,
 * and the refusal audited, by the auth hook like any route.
 */
export const auditExportRoutes =
  (audit: AuditLog, productVersion: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/audit/export',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'exportAuditLog',
          summary:
            'Entries [from, to) as OCSF 1.9 events, one JSON object per line, up to the latest signed checkpoint',
          tags: ['audit'],
          security: [{ bearer: [] }],
          querystring: Type.Object(
            {
              format: Type.Literal('ocsf'),
              from: Type.Optional(Index),
              to: Type.Optional(Index),
            },
            { additionalProperties: false },
          ),
          response: {
            200: {
              description:
                'NDJSON: one OCSF event per line; `metadata.sequence` is the entry index, so resume with `from` = last + 1',
              content: { 'application/x-ndjson': { schema: Type.String() } },
            },
            '4xx': Problem,
            '5xx': Problem,
          },
        },
      },
      async (request, reply) => {
        // Signed on demand if the log grew: every exported entry has a checkpoint to cite.
        const latest = await audit.checkpoint();
        const size = latest?.size ?? 0;
        const from = request.query.from ?? 0;
        if (from > size) {
          throw new CountersignError(
            'tree_size_out_of_range',
            `from ${from} is beyond the log's ${size} signed entries`,
          );
        }
        const to = Math.min(request.query.to ?? size, size);
        // The range is known before the first byte: a client that gets fewer lines than
        // to − from knows the stream broke, and where to resume.
        reply.header('x-countersign-audit-from', String(from));
        reply.header('x-countersign-audit-to', String(Math.max(from, to)));
        reply.type('application/x-ndjson; charset=utf-8');
        const stream = Readable.from(ocsfExport(audit, { from, to }, productVersion));
        // Fastify sends a stream as-is; the typed reply only knows the documented string body.
        return reply.send(stream as unknown as string);
      },
    );
  };
