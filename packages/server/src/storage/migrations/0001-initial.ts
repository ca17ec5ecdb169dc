import { sql, type Kysely, type Migration } from 'kysely';

/** Requests, their reviewer groups, and hashed tokens. */
export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('justification', 'text')
      .addColumn('risk', 'text')
      .addColumn('on_behalf_of', 'text')
      .addColumn('context', 'text')
      .addColumn('callback_url', 'text')
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('trace', 'text', (c) => c.notNull())
      .addColumn('approval', 'text')
      .addColumn('policy_version', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('decided_at', 'bigint')
      .addColumn('result_detail', 'text')
      .addColumn('result_at', 'bigint')
      .execute();
    // Partial indexes: a request decided at once, without an idempotency key (the hot path
    // of auto-allowed actions) writes only the table row and its primary key.
    // One request per (agent, idempotency key):
    await db.schema
      .createIndex('actions_idempotency')
      .on('actions')
      .columns(['agent_id', 'idempotency_key'])
      .unique()
      .where(sql.ref('idempotency_key'), 'is not', null)
      .execute();
    // The scheduler's scan for due deadlines:
    await db.schema
      .createIndex('actions_pending_expiry')
      .on('actions')
      .columns(['expires_at'])
      .where(sql.ref('status'), '=', 'pending')
      .execute();
    await db.schema
      .createTable('action_review_groups')
      .addColumn('action_id', 'text', (c) => c.notNull().references('actions.id'))
      .addColumn('group_name', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('action_review_groups_pk', ['action_id', 'group_name'])
      .execute();
    await db.schema
      .createIndex('action_review_groups_group')
      .on('action_review_groups')
      .columns(['group_name', 'action_id'])
      .execute();
    await db.schema
      .createTable('tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('principal_kind', 'text', (c) => c.notNull())
      .addColumn('principal_id', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('label', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createTable('kv')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['kv', 'tokens', 'action_review_groups', 'actions']) {
      await db.schema.dropTable(t).execute();
    }
  },
};
