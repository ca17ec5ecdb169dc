import type { Kysely, Selectable } from 'kysely';
import { CountersignError } from '@countersign/core';
import type { Database, SigningKeysTable } from './schema.js';
import { heldTransaction, inTransaction } from './held-transaction.js';

export type SigningKeyRow = Selectable<SigningKeysTable>;

/**
 * The row in `kv` that names the active grant signing key. Every change of the active key is a
 * compare-and-set on this one row, so two gateways starting at once against the same
 * PostgreSQL (or a `keys rotate` racing a start) can never leave two active keys: the loser's
 * transaction rolls back and it adopts the winner's key.
 */
const ACTIVE_KEY = 'grants.active_kid';

/** Thrown inside a transaction to roll it back when another writer changed the active key. */
class LostRace extends Error {}

export type ActivateResult =
  { outcome: 'activated'; kid: string; retired: string | null } | { outcome: 'kept'; kid: string };

/** The only code that reads or writes `signing_keys` and the active-key pointer. */
export class SigningKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Whether reads go through a transaction this async context holds: the key ring is asked
   * for a signer while an approval's write transaction is open, and a read on the root
   * handle then would wait for the connection that very transaction holds.
   */
  readsInTransaction(): boolean {
    return heldTransaction(this.db) !== undefined;
  }

  /** The handle reads use: the held transaction if there is one (see readsInTransaction). */
  #reader(): Kysely<Database> {
    return heldTransaction(this.db) ?? this.db;
  }

  async list(): Promise<SigningKeyRow[]> {
    return this.#reader().selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
  }

  async exists(kid: string): Promise<boolean> {
    const row = await this.#reader()
      .selectFrom('signing_keys')
      .select('kid')
      .where('kid', '=', kid)
      .executeTakeFirst();
    return row !== undefined;
  }

  async activeKid(): Promise<string | undefined> {
    const row = await this.#reader()
      .selectFrom('kv')
      .select('value')
      .where('key', '=', ACTIVE_KEY)
      .executeTakeFirst();
    return row?.value;
  }

  /**
   * Makes `row` the active key and retires the previous one, in one transaction.
   *
   * - `if_none`: only when no key is active yet (first start); otherwise adopt the current one.
   * - `{ replacing }`: only if the active key is still that kid (rotation); after a concurrent
   *   rotation this returns `kept` with the key that won, and nothing of ours is written.
   * - `force`: whatever is active (an operator-supplied key takes over at start).
   *
   * The insert comes first on purpose: on SQLite it takes the write lock at once, so a
   * concurrent writer waits (busy_timeout) instead of failing to upgrade a read lock.
   */
  async activate(
    row: SigningKeyRow,
    when: 'if_none' | 'force' | { replacing: string },
  ): Promise<ActivateResult> {
    try {
      return await this.#activateOnce(row, when);
    } catch (e) {
      if (!(e instanceof LostRace)) throw e;
    }
    const kid = await this.activeKid();
    if (kid === undefined) {
      throw new CountersignError('storage_unavailable', 'no active grant signing key after a race');
    }
    return { outcome: 'kept', kid };
  }

  #activateOnce(
    row: SigningKeyRow,
    when: 'if_none' | 'force' | { replacing: string },
  ): Promise<ActivateResult> {
    return inTransaction(this.db, async (trx) => {
      // A key coming back (an operator re-supplying an older key) becomes active again; a
      // key now supplied through the environment no longer has its private half stored.
      await trx
        .insertInto('signing_keys')
        .values(row)
        .onConflict((oc) =>
          oc.column('kid').doUpdateSet({ retired_at: null, private_jwk: row.private_jwk }),
        )
        .execute();
      const current = (
        await trx.selectFrom('kv').select('value').where('key', '=', ACTIVE_KEY).executeTakeFirst()
      )?.value;
      if (current === row.kid) return { outcome: 'kept' as const, kid: current };
      const mayReplace =
        when === 'force' || (typeof when === 'object' && when.replacing === current);
      if (current !== undefined && !mayReplace) throw new LostRace();
      if (current === undefined) {
        const res = await trx
          .insertInto('kv')
          .values({ key: ACTIVE_KEY, value: row.kid })
          .onConflict((oc) => oc.column('key').doNothing())
          .executeTakeFirst();
        if (Number(res.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new LostRace();
        return { outcome: 'activated' as const, kid: row.kid, retired: null };
      }
      // PostgreSQL re-evaluates the WHERE after waiting on a concurrent update, so exactly
      // one of two racing rotations updates the row.
      const res = await trx
        .updateTable('kv')
        .set({ value: row.kid })
        .where('key', '=', ACTIVE_KEY)
        .where('value', '=', current)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw new LostRace();
      await trx
        .updateTable('signing_keys')
        .set({ retired_at: row.created_at })
        .where('kid', '=', current)
        .where('retired_at', 'is', null)
        .execute();
      return { outcome: 'activated' as const, kid: row.kid, retired: current };
    });
  }
}
