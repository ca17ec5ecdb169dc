import type { Kysely, Migration } from 'kysely';

/**
 * When a request's first notification was delivered (storage/insights-repository.ts: once per
 * counted vote for the vote metrics, and once per vote of a period for `GET /v1/insights` and
 * the SOC 2 report). The outbox's other indexes are partial, over undelivered rows only, and
 * delivered rows are kept, so without this each of those reads scanned the whole outbox.
 */
export const outboxDelivered: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('outbox_delivered')
      .on('outbox')
      .columns(['action_id', 'delivered_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('outbox_delivered').execute();
  },
};
