import type { Kysely, Migration } from 'kysely';

/**
 * The index behind the change watcher's safety poll (actions/action-watcher.ts): "which
 * requests changed since the last poll" walks the index entries of the last window, so the
 * poll's cost follows what changed, not how many requests exist or how many are waited on.
 * `id` is in the index so the poll reads no table row (an index-only scan on PostgreSQL).
 */
export const actionsChanged: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('actions_changed')
      .on('actions')
      .columns(['updated_at', 'id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('actions_changed').execute();
  },
};
