import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { inTransaction } from './held-transaction.js';
import type {
  LoginLinksTable,
  OidcLoginsTable,
  WebSessionsTable,
  WebTables,
} from './web-tables.js';

export type WebSessionRow = Selectable<WebSessionsTable>;
export type LoginLinkRow = Selectable<LoginLinksTable>;
export type OidcLoginRow = Selectable<OidcLoginsTable>;

/** A handle (or a transaction) that sees the web tables too. */
export type WebDb = Kysely<Database & WebTables>;

/** Web sessions, one-time login links and OIDC sign-ins in progress (web/). */
export class WebSessionRepository {
  readonly #db: WebDb;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<WebTables>();
  }

  /**
   * Runs `work` in one transaction: a session and the audit entry that records it commit
   * together. `trx` is what AuditLog.append takes; `web` is the same transaction with our tables.
   */
  transaction<T>(work: (trx: Transaction<Database>, web: WebDb) => Promise<T>): Promise<T> {
    return inTransaction(this.#db, (trx) => {
      const base = trx as unknown as Transaction<Database>;
      return work(base, base.withTables<WebTables>());
    });
  }

  async insertSession(row: WebSessionRow, db: WebDb = this.#db): Promise<void> {
    await db.insertInto('web_sessions').values(row).execute();
  }

  findSession(secretHash: string): Promise<WebSessionRow | undefined> {
    return this.#db
      .selectFrom('web_sessions')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .executeTakeFirst();
  }

  /** Revokes one live session; false when it was already revoked or never existed. */
  async revokeSession(id: string, now: number, db: WebDb = this.#db): Promise<boolean> {
    const rows = await db
      .updateTable('web_sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.length > 0;
  }

  async insertLink(row: LoginLinkRow, db: WebDb = this.#db): Promise<void> {
    await db.insertInto('login_links').values(row).execute();
  }

  /**
   * Marks a link used if it is unused and unexpired, in one statement: of two concurrent
   * redemptions exactly one gets the row back (single use without a read-then-write race).
   */
  async useLink(tokenHash: string, now: number, db: WebDb): Promise<LoginLinkRow | undefined> {
    return db
      .updateTable('login_links')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
  }

  findLink(tokenHash: string, db: WebDb = this.#db): Promise<LoginLinkRow | undefined> {
    return db
      .selectFrom('login_links')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  async insertOidcLogin(row: OidcLoginRow): Promise<void> {
    await this.#db.insertInto('oidc_logins').values(row).execute();
  }

  /** Deletes and returns a sign-in in progress: a `state` is good for one callback only. */
  takeOidcLogin(stateHash: string): Promise<OidcLoginRow | undefined> {
    return this.#db
      .deleteFrom('oidc_logins')
      .where('state_hash', '=', stateHash)
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes rows that can no longer be used and are past `keepUntil` (housekeeping). */
  async purge(now: number, keepUntil: number): Promise<void> {
    await this.#db.deleteFrom('oidc_logins').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('login_links').where('expires_at', '<=', keepUntil).execute();
    await this.#db.deleteFrom('web_sessions').where('expires_at', '<=', keepUntil).execute();
  }
}
