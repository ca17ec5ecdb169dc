import type { Kysely, Selectable } from 'kysely';
import type { Database, TokensTable } from './schema.js';
import { inTransaction } from './held-transaction.js';

export type TokenRow = Selectable<TokensTable>;

/** Hashed bearer tokens. The plaintext is never stored (auth/token-secret.ts). */
export class TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: TokenRow, db: Kysely<Database> = this.db): Promise<void> {
    await db.insertInto('tokens').values(row).execute();
  }

  /** Runs `work` in a transaction (a token change and its audit entry commit together). */
  transaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return inTransaction(this.db, work);
  }

  async findByHash(hash: string): Promise<TokenRow | undefined> {
    return this.db
      .selectFrom('tokens')
      .selectAll()
      .where('token_hash', '=', hash)
      .executeTakeFirst();
  }

  async list(): Promise<TokenRow[]> {
    return this.db.selectFrom('tokens').selectAll().orderBy('created_at').execute();
  }

  /** Revokes by token id, or every token of a principal. Returns how many were revoked. */
  async revoke(
    by: { id: string } | { principal_kind: string; principal_id: string },
    now: number,
    db: Kysely<Database> = this.db,
  ): Promise<string[]> {
    let q = db.updateTable('tokens').set({ revoked_at: now }).where('revoked_at', 'is', null);
    q =
      'id' in by
        ? q.where('id', '=', by.id)
        : q
            .where('principal_kind', '=', by.principal_kind)
            .where('principal_id', '=', by.principal_id);
    const rows = await q.returning('id').execute();
    return rows.map((r) => r.id);
  }
}
