import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The audit log (RFC 9162 Merkle tree): entries with their leaf hashes, the hashes of complete
 * perfect subtrees above the leaves, the head (size and right edge, one row, locked by every
 * append), and signed checkpoints. All insert-only except the head.
 */
export const audit: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_entries')
      .addColumn('idx', 'bigint', (c) => c.primaryKey())
      // The exact RFC 8785 text whose UTF-8 bytes are the leaf.
      .addColumn('entry', 'text', (c) => c.notNull())
      .addColumn('leaf_hash', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .execute();
    // Partial indexes: each entry writes the primary key and exactly one index. A request's
    // timeline is read by request_id; administrative entries (policy, tokens, keys) by type.
    await db.schema
      .createIndex('audit_entries_request')
      .on('audit_entries')
      .columns(['request_id', 'idx'])
      .where(sql.ref('request_id'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('audit_entries_admin')
      .on('audit_entries')
      .columns(['type', 'at'])
      .where(sql.ref('request_id'), 'is', null)
      .execute();
    // Level ≥ 1 only: level 0 is audit_entries.leaf_hash.
    await db.schema
      .createTable('audit_nodes')
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('idx', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
      .execute();
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('frontier', 'text', (c) => c.notNull())
      .addColumn('last_leaf', 'text')
      .execute();
    await db
      .insertInto('audit_head' as never)
      .values({ id: 1, size: 0, frontier: '[]', last_leaf: null })
      .execute();
    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('size', 'bigint', (c) => c.primaryKey())
      .addColumn('root_hash', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['audit_checkpoints', 'audit_head', 'audit_nodes', 'audit_entries']) {
      await db.schema.dropTable(t).execute();
    }
  },
};
