import type { Kysely, Migration } from 'kysely';

/**
 * Witness cosignatures of the log's checkpoints (C2SP tlog-cosignature; docs/witness.md): one
 * signature line per witness and checkpoint size, as the witness returned it, verified before
 * it is stored. Insert-only, like the checkpoints they sign. The index serves "the newest
 * checkpoint that enough witnesses cosigned" and each witness's latest cosigned size.
 */
export const auditCosignatures: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_cosignatures')
      // The witness's key as `<name>+<key ID hex>`: two keys never share a row.
      .addColumn('witness', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      // `— <name> <base64(key ID ‖ timestamp ‖ signature)>` and its newline.
      .addColumn('line', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_cosignatures_pk', ['witness', 'size'])
      .execute();
    await db.schema
      .createIndex('audit_cosignatures_size')
      .on('audit_cosignatures')
      .columns(['size', 'witness'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('audit_cosignatures').execute();
  },
};
