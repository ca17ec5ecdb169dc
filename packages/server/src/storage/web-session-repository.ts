import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditEvent } from '../audit/audit-events.js';
import type { Database } from './schema.js';
import type { EvidenceLog } from './evidence-log.js';
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
type WebDb = Kysely<Database & WebTables>;

/**
 * A sign-in or logout in progress: its rows and its audit entry commit together. On SQLite the
 * transaction holds the only connection, so every read inside it goes through here too.
 */
export interface WebTx {
  insertSession(row: WebSessionRow): Promise<void>;
  /** Revokes one live session; false when it was already revoked or never existed. */
  revokeSession(id: string, now: number): Promise<boolean>;
  insertLink(row: LoginLinkRow): Promise<void>;
  /** Uses an unused, unexpired link (single use: of concurrent callers one gets it). */
  useLink(tokenHash: string, now: number): Promise<LoginLinkRow | undefined>;
  findLink(tokenHash: string): Promise<LoginLinkRow | undefined>;
  appendEvidence(events: readonly AuditEvent[]): Promise<void>;
}

/** Web sessions, one-time login links and OIDC sign-ins in progress (web/). */
export class WebSessionRepository {
  readonly #db: WebDb;

  constructor(
    db: Kysely<Database>,
    /** Sign-ins and logouts are evidence, appended in their own transaction. */
    private readonly evidence: EvidenceLog,
  ) {
    this.#db = db.withTables<WebTables>();
  }

  /** Runs `work` in one transaction: a session and the audit entry that records it commit together. */
  transaction<T>(work: (tx: WebTx) => Promise<T>): Promise<T> {
    return inTransaction(this.#db, (trx) => {
      // The log appends through the base tables; the web tables through the widened handle.
      const base = trx as unknown as Transaction<Database>;
      const web = base.withTables<WebTables>();
      return work({
        insertSession: async (row) => {
          await web.insertInto('web_sessions').values(row).execute();
        },
        revokeSession: (id, now) => this.revokeSession(id, now, web),
        insertLink: async (row) => {
          await web.insertInto('login_links').values(row).execute();
        },
        useLink: (tokenHash, now) => this.useLink(tokenHash, now, web),
        findLink: (tokenHash) => this.findLink(tokenHash, web),
        appendEvidence: (events) => this.evidence.append(base, events),
      });
    });
  }

  findSession(secretHash: string): Promise<WebSessionRow | undefined> {
    return this.#db
      .selectFrom('web_sessions')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .executeTakeFirst();
  }

  private async revokeSession(id: string, now: number, db: WebDb): Promise<boolean> {
    const rows = await db
      .updateTable('web_sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.length > 0;
  }

  /**
   * Marks a link used if it is unused and unexpired, in one statement: of two concurrent
   * redemptions exactly one gets the row back (single use without a read-then-write race).
   */
  private async useLink(
    tokenHash: string,
    now: number,
    db: WebDb,
  ): Promise<LoginLinkRow | undefined> {
    return db
      .updateTable('login_links')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
  }

  private findLink(tokenHash: string, db: WebDb): Promise<LoginLinkRow | undefined> {
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
