import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database, OutboxTable } from '../storage/schema.js';

export type OutboxRow = Selectable<OutboxTable>;

/**
 * The only code that reads or writes the `outbox` table. Every change to a claimed row is a
 * compare-and-set on `next_attempt_at`, which doubles as the lease: whoever moved it last
 * owns the row, and a replica whose lease ran out cannot overwrite the next owner's outcome.
 */
export class OutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inside the caller's transaction: the rows exist if and only if the state change does. */
  async insert(trx: Kysely<Database>, rows: Insertable<OutboxTable>[]): Promise<void> {
    if (rows.length > 0) await trx.insertInto('outbox').values(rows).execute();
  }

  /**
   * Rows due now for these targets, oldest first, and only the head of each (target, request)
   * queue: a later event for the same request waits until the earlier one is delivered or
   * has failed, so a channel sees a request's events in order (per-key FIFO).
   */
  async due(targets: readonly string[], now: number, limit: number): Promise<OutboxRow[]> {
    if (targets.length === 0 || limit <= 0) return [];
    return this.db
      .selectFrom('outbox as o')
      .selectAll('o')
      .where('o.delivered_at', 'is', null)
      .where('o.failed_at', 'is', null)
      .where('o.next_attempt_at', '<=', now)
      .where('o.target', 'in', targets)
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
      .limit(limit)
      .execute();
  }

  /**
   * Takes the row for one attempt: moves `next_attempt_at` from the value we read to the end
   * of our lease. With several replicas on PostgreSQL only one UPDATE can match the old
   * value, so two workers never deliver the same row at the same moment; if this worker dies,
   * the row comes due again when the lease ends (at-least-once).
   */
  async claim(id: string, seen: number, leaseUntil: number): Promise<boolean> {
    return this.changed(
      await this.db
        .updateTable('outbox')
        .set({ next_attempt_at: leaseUntil })
        .where('id', '=', id)
        .where('next_attempt_at', '=', seen)
        .where('delivered_at', 'is', null)
        .where('failed_at', 'is', null)
        .executeTakeFirst(),
    );
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
