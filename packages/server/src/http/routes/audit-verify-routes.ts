import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CountersignError, verifyLog, type VerifyLogResult } from '@countersign/core';
import type { AuditLog } from '../../audit/audit-log.js';
import { Problem } from '../schemas.js';

/** Older checkpoints re-checked besides the latest (they also narrow down where damage is). */
const HISTORY = 100;
const BATCH = 10_000;

/**
 * Verifies the stored log as `countersign audit verify` verifies an export: every entry
 * recomputed against the newest signed checkpoint, with the gateway's own verifier key. It
 * proves the store was not edited behind the log's back; it cannot prove the gateway itself
 * honest (its key signed what it stored), which is what an auditor's independent key is for.
 */
export const auditVerifyRoutes =
  (audit: AuditLog): FastifyPluginAsyncTypebox =>
  async (app) => {
    // One verification at a time, shared by concurrent callers: it reads the whole log.
    let running: ReturnType<typeof verifyStored> | undefined;

    app.get(
      '/v1/audit/verify',
      {
        config: { auth: 'auditor' },
        schema: {
          operationId: 'verifyAuditLog',
          summary: "Verify the stored log against its newest signed checkpoint (the gateway's key)",
          tags: ['audit'],
          security: [{ bearer: [] }],
          response: {
            200: Type.Object({
              checkpoint: Type.Object({
                size: Type.Integer(),
                root_hash: Type.String(),
                created_at: Type.String({ format: 'date-time' }),
              }),
              verifier_key: Type.String(),
              verified_at: Type.String({ format: 'date-time' }),
              result: Type.Object({ ok: Type.Boolean() }, { additionalProperties: true }),
            }),
            '4xx': Problem,
            '5xx': Problem,
          },
        },
      },
      async () => {
        running ??= verifyStored(audit).finally(() => {
          running = undefined;
        });
        return running;
      },
    );
  };

async function verifyStored(audit: AuditLog) {
  const latest = await audit.checkpoint();
  if (!latest) throw new CountersignError('not_found', 'the log is empty');
  const size = latest.size;
  const older = (await audit.checkpoints(HISTORY + 1)).filter((c) => c.size < size);
  async function* entries(): AsyncGenerator<string[]> {
    for (let from = 0; from < size; from += BATCH) {
      const rows = await audit.entries(from, Math.min(size, from + BATCH));
      yield rows.map((r) => r.entry);
    }
  }
  const result: VerifyLogResult = await verifyLog({
    entries: entries(),
    checkpoint: latest.note,
    verifierKeys: audit.verifierKey,
    history: older.map((c) => ({ label: `the checkpoint of size ${c.size}`, note: c.note })),
  });
  return {
    checkpoint: {
      size: latest.size,
      root_hash: latest.root_hash,
      created_at: new Date(latest.created_at).toISOString(),
    },
    verifier_key: audit.verifierKey,
    verified_at: new Date().toISOString(),
    result,
  };
}
