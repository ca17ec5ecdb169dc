import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Secrets the gateway generates once and keeps in the store (`kv`), so every replica uses the
 * same ones: the audit log's signing and HMAC keys (audit/audit-keys.ts).
 */
export class StoredKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The value stored under `key`, storing `make()` first if there is none. Insert-if-absent
   * then re-read: two first starts racing each other agree on one value.
   */
  async keep(key: string, make: () => string): Promise<string> {
    await this.db
      .insertInto('kv')
      .values({ key, value: make() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('kv')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    return row.value;
  }
}
