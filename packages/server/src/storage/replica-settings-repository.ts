import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { inTransaction } from './held-transaction.js';
import { readKv } from './read-kv.js';

/** The `kv` rows that hold what every replica must agree on: `replica.<name>`. */
const PREFIX = 'replica.';

/**
 * The only code that reads or writes the settings the first replica recorded
 * (config/replica-settings.ts). They live in the existing `kv` table: no migration.
 */
export class ReplicaSettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records each setting that is not recorded yet (insert-if-absent, so two first starts
   * racing each other agree on one value), then returns what the store records.
   */
  async recordMissing(settings: Readonly<Record<string, string>>): Promise<Map<string, string>> {
    const rows = Object.entries(settings).map(([name, value]) => ({ key: PREFIX + name, value }));
    return inTransaction(this.db, async (trx) => {
      if (rows.length > 0) {
        await trx
          .insertInto('kv')
          .values(rows)
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
      }
      const stored = await trx
        .selectFrom('kv')
        .select(['key', 'value'])
        .where('key', 'like', `${PREFIX}%`)
        .execute();
      return new Map(stored.map((r) => [r.key.slice(PREFIX.length), r.value]));
    });
  }

  /** Replaces recorded settings: an operator's deliberate change (`--accept-config-change`). */
  async replace(settings: Readonly<Record<string, string>>): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      for (const [name, value] of Object.entries(settings)) {
        await trx
          .updateTable('kv')
          .set({ value })
          .where('key', '=', PREFIX + name)
          .execute();
      }
    });
  }

  /** A `kv` value outside the replica settings (the stored audit HMAC key), if any. */
  value(key: string): Promise<string | undefined> {
    return readKv(this.db, key);
  }
}
