import { sql, type Kysely, type Migration } from 'kysely';
import { shadowVersionOfEntry } from '../shadow-entry-sql.js';

/**
 * `GET /v1/policy/shadow` counts the `policy.shadow_disagreed` entries of the shadow version in
 * force, on every replica alike (storage/shadow-disagreement-repository.ts). Those entries carry
 * a request id, so neither index of 0004 finds them by type: without this, each call scanned
 * the whole log. Partial (only those entries are indexed; no other append pays for it), on the
 * version the entry's JSON names and the entry's time, so a call reads this version's
 * disagreements alone and the newest examples straight from the index's end.
 */
export const shadowDisagreements: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter.supportsTransactionalDdl;
    await sql`create index audit_entries_shadow on audit_entries (${shadowVersionOfEntry(
      postgres ? 'postgres' : 'sqlite',
    )}, at) where type = 'policy.shadow_disagreed'`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('audit_entries_shadow').execute();
  },
};
