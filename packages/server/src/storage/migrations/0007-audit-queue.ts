import type { Kysely, Migration } from 'kysely';

/**
 * The audit queue (docs/decisions.md, "Evidence written with the change, sequenced after
 * it"): on PostgreSQL a change's transaction inserts its evidence here, already redacted and
 * timed, and takes no lock shared with other replicas; the sequencer (audit/audit-sequencer.ts)
 * later gives each row its index, `prev` and leaf hash in `audit_entries` and deletes it, in
 * one transaction. `id` is the queue order. SQLite sequences inside the committing
 * transaction and leaves this table empty.
 */
export const auditQueue: Migration = {
  async up(db: Kysely<unknown>) {
    // Transactional DDL: true for PostgreSQL's adapter, false for SQLite's (the only two).
    const postgres = db.getExecutor().adapter.supportsTransactionalDdl;
    await db.schema
      .createTable('audit_queue')
      .addColumn('id', postgres ? 'bigint' : 'integer', (c) =>
        postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
      )
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      // JSON texts: the actor and the (redacted) data, as the entry will carry them.
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .execute();
    // No other index: the sequencer reads the queue by primary key, oldest first.
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('audit_queue').execute();
  },
};
