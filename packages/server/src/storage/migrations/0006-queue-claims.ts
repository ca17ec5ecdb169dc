import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The index behind the outbox's set-based claim (storage/outbox-repository.ts): "this target's
 * undelivered rows, oldest due first, ties by id", read straight from a partial index in
 * claim order, so a claim walks `LIMIT` index entries (plus the followers of heads still in
 * flight) whatever the backlog, of this target or of others. It replaces 0002's `outbox_due`, which ordered by `next_attempt_at` only and
 * left the tie-break (and, on PostgreSQL, the choice of plan) to a sort over every due row.
 */
export const queueClaims: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('outbox_claim')
      .on('outbox')
      .columns(['target', 'next_attempt_at', 'id'])
      .where(sql<boolean>`delivered_at is null and failed_at is null`)
      .execute();
    await db.schema.dropIndex('outbox_due').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema
      .createIndex('outbox_due')
      .on('outbox')
      .columns(['next_attempt_at'])
      .where(sql<boolean>`delivered_at is null and failed_at is null`)
      .execute();
    await db.schema.dropIndex('outbox_claim').execute();
  },
};
