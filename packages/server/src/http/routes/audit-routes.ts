import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CountersignError } from '@countersign/core';
import type { AuditLog } from '../../audit/audit-log.js';
import type { CosignedCheckpoint } from '../../storage/cosignature-repository.js';
import { Problem } from '../schemas.js';

const problems = { '4xx': Problem, '5xx': Problem };
const security = [{ bearer: [] }];
const Index = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const PAGE = 1000;

const CheckpointView = Type.Object({
  origin: Type.String(),
  size: Type.Integer(),
  root_hash: Type.String({ description: 'base64' }),
  note: Type.String({ description: 'The C2SP signed note, verbatim' }),
  verifier_key: Type.String({ description: 'The signer, as `<name>+<hash>+<base64>`' }),
  created_at: Type.String({ format: 'date-time' }),
  cosigned_by: Type.Optional(
    Type.Array(Type.String(), {
      description: 'With `cosigned`: the witnesses whose cosignature lines end the note',
    }),
  ),
});

/** The newest checkpoint cosigned by at least `quorum` configured witnesses, if any. */
export type CosignedCheckpointSource = (
  quorum: number,
) => Promise<(CosignedCheckpoint & { witnesses: string[] }) | undefined>;

/**
 * The audit log for auditors and admins (docs/audit.md): signed checkpoints, the entries
 * verbatim (the exact bytes that were hashed), and RFC 9162 proofs.
 */
export const auditRoutes =
  (audit: AuditLog, cosigned?: CosignedCheckpointSource): FastifyPluginAsyncTypebox =>
  async (app) => {
    const view = (c: { size: number; root_hash: string; note: string; created_at: number }) => ({
      origin: audit.origin,
      size: c.size,
      root_hash: c.root_hash,
      note: c.note,
      verifier_key: audit.verifierKey,
      created_at: new Date(c.created_at).toISOString(),
    });

    app.get(
      '/v1/audit/checkpoint',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'getAuditCheckpoint',
          summary: 'A signed checkpoint of the log as it is now (signed on demand if the log grew)',
          description:
            'With `cosigned=N`: instead, the newest checkpoint that at least N configured ' +
            'witnesses cosigned (C2SP tlog-cosignature), its note ending in their cosignature ' +
            'lines; 404 when there is none (docs/witness.md).',
          tags: ['audit'],
          security,
          querystring: Type.Object(
            { cosigned: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })) },
            { additionalProperties: false },
          ),
          response: { 200: CheckpointView, ...problems },
        },
      },
      async (request) => {
        const quorum = request.query.cosigned;
        if (quorum !== undefined) {
          const found = await cosigned?.(quorum);
          if (!found) {
            throw new CountersignError(
              'not_found',
              `no checkpoint is cosigned by ${quorum} of the configured witnesses yet`,
            );
          }
          // The signed note, then the witnesses' lines: one C2SP note with every signature.
          return {
            ...view(found.checkpoint),
            note: found.checkpoint.note + found.lines.join(''),
            cosigned_by: found.witnesses,
          };
        }
        const c = await audit.checkpoint();
        if (!c) throw new CountersignError('not_found', 'the log is empty');
        return view(c);
      },
    );

    app.get(
      '/v1/audit/checkpoints',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'listAuditCheckpoints',
          summary: 'Earlier signed checkpoints, newest first',
          tags: ['audit'],
          security,
          querystring: Type.Object(
            { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ checkpoints: Type.Array(CheckpointView) }), ...problems },
        },
      },
      async (request) => ({
        checkpoints: (await audit.checkpoints(request.query.limit ?? 1000)).map(view),
      }),
    );

    app.get(
      '/v1/audit/entries',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'listAuditEntries',
          summary: `Entries [from, to), at most ${PAGE} a call, as the exact canonical JSON texts`,
          tags: ['audit'],
          security,
          querystring: Type.Object(
            { from: Index, to: Type.Optional(Index) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              from: Type.Integer(),
              to: Type.Integer(),
              size: Type.Integer(),
              entries: Type.Array(Type.String()),
            }),
            ...problems,
          },
        },
      },
      async (request) => {
        const size = await audit.size();
        const from = request.query.from;
        const to = Math.min(request.query.to ?? from + PAGE, from + PAGE, size);
        if (from > size) {
          throw new CountersignError(
            'tree_size_out_of_range',
            `from ${from} is beyond the log's ${size} entries`,
          );
        }
        const rows = from < to ? await audit.entries(from, to) : [];
        return { from, to: Math.max(from, to), size, entries: rows.map((r) => r.entry) };
      },
    );

    app.get(
      '/v1/audit/proofs/inclusion',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'getInclusionProof',
          summary:
            'RFC 9162 inclusion proof of entry `index` in the tree of `size` entries (default: now)',
          tags: ['audit'],
          security,
          querystring: Type.Object(
            { index: Index, size: Type.Optional(Index) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              index: Type.Integer(),
              size: Type.Integer(),
              leaf_hash: Type.String(),
              proof: Type.Array(Type.String()),
              root_hash: Type.String(),
            }),
            ...problems,
          },
        },
      },
      async (request) => {
        const size = request.query.size ?? (await audit.size());
        if (request.query.index >= size) {
          throw new CountersignError(
            'tree_size_out_of_range',
            `index ${request.query.index} is not below size ${size}`,
          );
        }
        return audit.inclusion(request.query.index, size);
      },
    );

    app.get(
      '/v1/audit/proofs/consistency',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'getConsistencyProof',
          summary: 'RFC 9162 consistency proof between the trees of `from` and `to` entries',
          tags: ['audit'],
          security,
          querystring: Type.Object(
            { from: Type.Integer({ minimum: 1 }), to: Type.Optional(Index) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              from: Type.Integer(),
              to: Type.Integer(),
              proof: Type.Array(Type.String()),
              root_hash_from: Type.String(),
              root_hash_to: Type.String(),
            }),
            ...problems,
          },
        },
      },
      async (request) => {
        const to = request.query.to ?? (await audit.size());
        if (request.query.from > to) {
          throw new CountersignError(
            'tree_size_out_of_range',
            `from ${request.query.from} is beyond to ${to}`,
          );
        }
        return audit.consistency(request.query.from, to);
      },
    );
  };
