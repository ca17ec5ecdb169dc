import type { Kysely } from 'kysely';
import type { ActionRecord, ActionResult, Status } from '@countersign/core';
import type { Database } from './schema.js';
import { recordFromRow, rowFromRecord } from './action-rows.js';
import { GroupCommit } from './group-commit.js';

export interface ActionFilter {
  status?: Status | undefined;
  agent_id?: string | undefined;
  action?: string | undefined;
  environment?: string | undefined;
  /** Only requests some of these groups may review (the inbox). */
  review_groups?: readonly string[] | undefined;
  created_after?: number | undefined;
  created_before?: number | undefined;
  /** Keyset pagination: ids sort by creation time. */
  before_id?: string | undefined;
  limit: number;
}

/** The only code that reads or writes the `actions` tables. */
export class ActionRepository {
  readonly #writes: GroupCommit;

  constructor(private readonly db: Kysely<Database>) {
    this.#writes = new GroupCommit(db);
  }

  /**
   * Stores a new request, or returns the one this agent already made with the same
   * idempotency key (then `created` is false and nothing new is written).
   */
  async insert(
    record: ActionRecord,
    reviewGroups: readonly string[],
  ): Promise<{ record: ActionRecord; created: boolean }> {
    return this.#writes.run((trx) => this.insertWith(trx, record, reviewGroups));
  }

  private async insertWith(
    db: Kysely<Database>,
    record: ActionRecord,
    reviewGroups: readonly string[],
  ): Promise<{ record: ActionRecord; created: boolean }> {
    const inserted = await db
      .insertInto('actions')
      .values(rowFromRecord(record))
      .onConflict((oc) =>
        oc
          .columns(['agent_id', 'idempotency_key'])
          .where('idempotency_key', 'is not', null)
          .doNothing(),
      )
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
      const existing = await db
        .selectFrom('actions')
        .selectAll()
        .where('agent_id', '=', record.agent_id)
        .where('idempotency_key', '=', record.idempotency_key)
        .executeTakeFirstOrThrow();
      return { record: recordFromRow(existing), created: false };
    }
    if (reviewGroups.length > 0) {
      await db
        .insertInto('action_review_groups')
        .values(reviewGroups.map((group_name) => ({ action_id: record.id, group_name })))
        .execute();
    }
    return { record, created: true };
  }

  async findById(id: string): Promise<ActionRecord | undefined> {
    const row = await this.db
      .selectFrom('actions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && recordFromRow(row);
  }

  async findByIdempotencyKey(agentId: string, key: string): Promise<ActionRecord | undefined> {
    const row = await this.db
      .selectFrom('actions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row && recordFromRow(row);
  }

  async reviewGroups(id: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('action_review_groups')
      .select('group_name')
      .where('action_id', '=', id)
      .execute();
    return rows.map((r) => r.group_name);
  }

  /**
   * Moves a request from `from` to `to` only if it is still in `from`: the compare-and-set
   * that makes a terminal transition happen exactly once under concurrency.
   */
  async transition(
    id: string,
    from: Status,
    to: Status,
    now: number,
    fields: { reason?: string; result?: ActionResult } = {},
  ): Promise<boolean> {
    const decided = from === 'pending';
    const res = await this.db
      .updateTable('actions')
      .set({
        status: to,
        updated_at: now,
        ...(decided ? { decided_at: now } : {}),
        ...(fields.reason === undefined ? {} : { reason: fields.reason }),
        ...(fields.result === undefined
          ? {}
          : {
              result_detail: JSON.stringify({
                outcome: fields.result.outcome,
                detail: fields.result.detail,
              }),
              result_at: fields.result.at,
            }),
      })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async list(filter: ActionFilter): Promise<ActionRecord[]> {
    let q = this.db.selectFrom('actions').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.agent_id) q = q.where('agent_id', '=', filter.agent_id);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.environment) q = q.where('environment', '=', filter.environment);
    if (filter.created_after !== undefined) q = q.where('created_at', '>=', filter.created_after);
    if (filter.created_before !== undefined) q = q.where('created_at', '<', filter.created_before);
    if (filter.before_id) q = q.where('id', '<', filter.before_id);
    if (filter.review_groups) {
      if (filter.review_groups.length === 0) return [];
      const groups = filter.review_groups;
      q = q.where('id', 'in', (sub) =>
        sub
          .selectFrom('action_review_groups')
          .select('action_id')
          .where('group_name', 'in', [...groups]),
      );
    }
    const rows = await q.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(recordFromRow);
  }

  /** Pending requests whose deadline has passed, oldest first. */
  async dueForExpiry(now: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select('id')
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async countByStatus(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('actions')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  }
}
