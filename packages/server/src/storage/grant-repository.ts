import type { Kysely } from 'kysely';
import type { Status } from '@countersign/core';
import type { AuditEvent } from '../audit/audit-events.js';
import type { Database } from './schema.js';
import type { EvidenceLog } from './evidence-log.js';
import { inTransaction } from './held-transaction.js';

/** Where a grant stands in the store: its request's status and whether it was used. */
export interface GrantState {
  status: Status;
  expires_at: number | null;
  redeemed_at: number | null;
}

/**
 * Reads and sets the redemption state of grants (the `grant_*` columns of `actions`). Issuing
 * is not here: the action service stores a grant in the same transaction as the approval.
 */
export class GrantRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** A redemption's audit entry is appended in the redemption's transaction. */
    private readonly evidence: EvidenceLog,
  ) {}

  /** The stored grant `jti` of request `requestId`, or undefined if no such grant was stored. */
  async state(jti: string, requestId: string): Promise<GrantState | undefined> {
    const row = await this.db
      .selectFrom('actions')
      .select(['status', 'grant_expires_at', 'grant_redeemed_at'])
      .where('grant_jti', '=', jti)
      .where('id', '=', requestId)
      .executeTakeFirst();
    return (
      row && {
        status: row.status as Status,
        expires_at: row.grant_expires_at === null ? null : Number(row.grant_expires_at),
        redeemed_at: row.grant_redeemed_at === null ? null : Number(row.grant_redeemed_at),
      }
    );
  }

  /**
   * The compare-and-set that makes a grant single-use: it succeeds for exactly one caller,
   * however many race (one UPDATE; PostgreSQL re-checks the WHERE after a concurrent writer
   * commits, SQLite serialises writers). Only an approved request's unexpired grant qualifies.
   * `evidence` (the audit entry) commits with the redemption or not at all.
   */
  async markRedeemed(
    jti: string,
    requestId: string,
    at: number,
    evidence: readonly AuditEvent[],
  ): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      const ok = await this.#markRedeemed(trx, jti, requestId, at);
      if (ok) await this.evidence.append(trx, evidence);
      return ok;
    });
  }

  async #markRedeemed(
    db: Kysely<Database>,
    jti: string,
    requestId: string,
    at: number,
  ): Promise<boolean> {
    const res = await db
      .updateTable('actions')
      .set({ grant_redeemed_at: at, updated_at: at })
      .where('grant_jti', '=', jti)
      .where('id', '=', requestId)
      .where('grant_redeemed_at', 'is', null)
      .where('grant_expires_at', '>', at)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
