import type { Kysely, Selectable } from 'kysely';
import type { Database, TokensTable } from './schema.js';

export type TokenRow = Selectable<TokensTable>;

/** Hashed bearer tokens. The plaintext is never stored (auth/token-secret.ts). */
export class TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: TokenRow): Promise<void> {
    await this.db.insertInto('tokens').values(row).execute();
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
  ): Promise<number> {
    let q = this.db.updateTable('tokens').set({ revoked_at: now }).where('revoked_at', 'is', null);
    q =
      'id' in by
        ? q.where('id', '=', by.id)
        : q
            .where('principal_kind', '=', by.principal_kind)
            .where('principal_id', '=', by.principal_id);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows);
  }
}
