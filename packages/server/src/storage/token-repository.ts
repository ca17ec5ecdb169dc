import type { Kysely, Selectable } from 'kysely';
import type { AuditEvent } from '../audit/audit-events.js';
import type { Database, TokensTable } from './schema.js';
import type { EvidenceLog } from './evidence-log.js';
import { inTransaction } from './held-transaction.js';

export type TokenRow = Selectable<TokensTable>;

/** Revokes one token by id, or every token of a principal. */
export type TokenSelector = { id: string } | { principal_kind: string; principal_id: string };

/** A token change in progress: its rows and its audit entries commit together. */
export interface TokenTx {
  insert(row: TokenRow): Promise<void>;
  /** Revokes the selected live tokens; returns their ids. */
  revoke(by: TokenSelector, now: number): Promise<string[]>;
  appendEvidence(events: readonly AuditEvent[]): Promise<void>;
}

/** Hashed bearer tokens. The plaintext is never stored (auth/token-secret.ts). */
export class TokenRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Every token change is evidence, appended in the change's transaction. */
    private readonly evidence: EvidenceLog,
  ) {}

  /** Runs `work` in a transaction (a token change and its audit entry commit together). */
  transaction<T>(work: (tx: TokenTx) => Promise<T>): Promise<T> {
    return inTransaction(this.db, (trx) =>
      work({
        insert: async (row) => {
          await trx.insertInto('tokens').values(row).execute();
        },
        revoke: (by, now) => revoke(trx, by, now),
        appendEvidence: (events) => this.evidence.append(trx, events),
      }),
    );
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
}

async function revoke(db: Kysely<Database>, by: TokenSelector, now: number): Promise<string[]> {
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
