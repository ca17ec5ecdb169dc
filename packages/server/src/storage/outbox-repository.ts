import {
  PostgresAdapter,
  type CompiledQuery,
  type Insertable,
  type Kysely,
  type Selectable,
  type Updateable,
} from 'kysely';
import type { Database, OutboxTable } from './schema.js';

export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;

/** What a transaction offers the notification sink: its outbox rows, written with the change. */
export interface OutboxTx {
  enqueue(rows: readonly NewOutboxRow[]): Promise<void>;
}

/** Writes outbox rows in `trx` (storage/action-tx.ts; tests that enqueue by hand). */
export function outboxIn(trx: Kysely<Database>): OutboxTx {
  return {
    async enqueue(rows) {
      if (rows.length > 0)
        await trx
          .insertInto('outbox')
          .values([...rows])
          .execute();
    },
  };
}

/**
 * The only code that reads or writes the `outbox` table. Every change to a claimed row is a
 * compare-and-set on `next_attempt_at`, which doubles as the lease: whoever moved it last
 * owns the row, and a replica whose lease ran out cannot overwrite the next owner's outcome.
 */
export class OutboxRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Claims up to `limit` due rows for one target in one statement and leases them until
   * `leaseUntil` (the lease is `next_attempt_at` moved into the future: a claimer that dies
   * leaves rows that come due again when it ends, at-least-once). Only the head of each
   * (target, request) queue is due: a later event for a request waits until the earlier one is
   * delivered or has failed, so a channel sees a request's events in order (per-key FIFO); a
   * leased head is still undelivered, so its followers wait for it.
   *
   * PostgreSQL: the candidates are locked `FOR UPDATE SKIP LOCKED` in a CTE and leased by the
   * same statement, so replicas claiming at once take disjoint rows instead of queueing on
   * (and then losing) the same oldest ones; a row another replica leased between our snapshot
   * and our lock fails the re-check of `next_attempt_at <= now` and is left out. The CTE keeps
   * the locking sub-select evaluated once (the pattern of Oban and pg-boss).
   * https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE
   * SQLite: writers are serialised, so a single `UPDATE … RETURNING` is already exclusive.
   *
   * Both walk the partial index `outbox_claim` (target, next_attempt_at, id) in claim order and
   * stop after `limit` heads, so the cost does not grow with the backlog, this target's or
   * another's (migration 0006). One target per claim for that reason: with several, the
   * database must merge their orders with a sort over every due row.
   */
  async claim(
    target: string,
    now: number,
    limit: number,
    leaseUntil: number,
  ): Promise<OutboxRow[]> {
    if (limit <= 0) return [];
    const { rows } = await this.db.executeQuery(this.claimQuery(target, now, limit, leaseUntil));
    // RETURNING has no order; hand rows out oldest first.
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The claim's statement, compiled: `claim` runs it; tests EXPLAIN it. */
  claimQuery(
    target: string,
    now: number,
    limit: number,
    leaseUntil: number,
  ): CompiledQuery<OutboxRow> {
    const candidates = (postgres: boolean) => {
      const q = this.db
        .selectFrom('outbox as o')
        .select('o.id')
        .where('o.delivered_at', 'is', null)
        .where('o.failed_at', 'is', null)
        .where('o.next_attempt_at', '<=', now)
        .where('o.target', '=', target)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('outbox as p')
                .select('p.id')
                .whereRef('p.target', '=', 'o.target')
                .whereRef('p.action_id', '=', 'o.action_id')
                .where('p.delivered_at', 'is', null)
                .where('p.failed_at', 'is', null)
                .whereRef('p.id', '<', 'o.id'),
            ),
          ),
        )
        .orderBy('o.next_attempt_at')
        .orderBy('o.id')
        .limit(limit);
      return postgres ? q.forUpdate('o').skipLocked() : q;
    };
    return isPostgres(this.db)
      ? this.db
          .with('next', () => candidates(true))
          .updateTable('outbox')
          .from('next')
          .set({ next_attempt_at: leaseUntil })
          .whereRef('outbox.id', '=', 'next.id')
          .returningAll('outbox')
          .compile()
      : this.db
          .updateTable('outbox')
          .set({ next_attempt_at: leaseUntil })
          .where('id', 'in', candidates(false))
          .returningAll()
          .compile();
  }

  /** Records the outcome of an attempt, if we still hold the lease. */
  async settle(
    id: string,
    lease: number,
    fields: Updateable<OutboxTable> & { next_attempt_at: number },
  ): Promise<boolean> {
    return this.changed(
      await this.db
        .updateTable('outbox')
        .set(fields)
        .where('id', '=', id)
        .where('next_attempt_at', '=', lease)
        .where('delivered_at', 'is', null)
        .where('failed_at', 'is', null)
        .executeTakeFirst(),
    );
  }

  async find(id: string): Promise<OutboxRow | undefined> {
    return this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private changed(result: { numUpdatedRows: bigint }): boolean {
    return Number(result.numUpdatedRows) === 1;
  }
}

/** Whether `db` talks to PostgreSQL (the claim's SQL differs per dialect). */
function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
