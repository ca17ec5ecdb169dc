import { sql, type Kysely, type Migration } from 'kysely';

/**
 * What the notifier seam adds to 0002's outbox: channel state per request (the Slack or
 * Teams message to update in place), and the index behind the worker's per-(target,
 * request) ordering.
 */
export const notifications: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('channel_messages')
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('action_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('channel_messages_pk', ['channel', 'action_id'])
      .execute();
    // "Is an earlier row for this target and request still undelivered?" is asked for every
    // due row; this keeps it an index probe over undelivered rows only.
    await db.schema
      .createIndex('outbox_queue')
      .on('outbox')
      .columns(['target', 'action_id', 'id'])
      .where(sql<boolean>`delivered_at is null and failed_at is null`)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('outbox_queue').execute();
    await db.schema.dropTable('channel_messages').execute();
  },
};
