import { sql, type Kysely } from 'kysely';
import type { ActionRecord, Status, Vote } from '@countersign/core';
import type { Database } from './schema.js';
import { recordFromRow } from './action-rows.js';
import { ActionTx } from './action-tx.js';
import type { DialectName } from './open-database.js';
import { selectVotes, selectVotesOf } from './vote-rows.js';
import { GroupCommit } from './group-commit.js';
import type { EvidenceLog } from './evidence-log.js';

export interface ActionFilter {
  status?: Status | undefined;
  agent_id?: string | undefined;
  action?: string | undefined;
  environment?: string | undefined;
  /** Only requests some of these groups may review (the inbox). */
  review_groups?: readonly string[] | undefined;
  created_after?: number | undefined;
  created_before?: number | undefined;
  /** Only requests decided by a break-glass approval (for review afterwards). */
  break_glass?: boolean | undefined;
  /** Keyset pagination: ids sort by creation time. */
  before_id?: string | undefined;
  limit: number;
}

/** A request's id and the time of its last change (`changedSince`). */
export interface RowVersion {
  id: string;
  updated_at: number;
}

/** `nextDeadlines`: the earliest deadlines of pending requests, and now, on one clock. */
export interface NextDeadlines {
  now: number;
  expiry: number | undefined;
  escalation: number | undefined;
}

/** The only code that reads or writes the `actions` tables. */
export class ActionRepository {
  readonly #writes: GroupCommit;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    /** The audit log every write transaction appends its evidence to. */
    private readonly evidence: EvidenceLog,
  ) {
    this.#writes = new GroupCommit(db);
  }

  /**
   * Runs `work` in a group-committed transaction (see group-commit.ts): every write to a
   * request goes through here, with the request row locked on PostgreSQL. `lockKey` is the
   * request id `work` locks, when known: batches lock rows in id order.
   */
  write<T>(work: (tx: ActionTx) => Promise<T>, lockKey?: string): Promise<T> {
    return this.#writes.run(
      (scope) => work(new ActionTx(scope, this.dialect, this.evidence)),
      lockKey,
    );
  }

  async findById(id: string): Promise<ActionRecord | undefined> {
    const row = await this.db
      .selectFrom('actions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && recordFromRow(row);
  }

  /** Several requests in one query (the change watcher reads what other replicas changed). */
  async findByIds(ids: readonly string[]): Promise<ActionRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('actions')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return rows.map(recordFromRow);
  }

  /**
   * The requests whose row changed in the window that starts `overlapMs` before `since` (a
   * reading of this clock from the previous call; undefined: before now), and the reading to
   * pass next time. One query whatever the number of requests or of waiters: it walks the
   * index `actions_changed` (updated_at, id) over the window only.
   *
   * The clock: the database's on PostgreSQL, read by the same statement (one clock for every
   * replica), unless `localNow` is given (an injected clock, as the timers do; SQLite always).
   */
  async changedSince(
    since: number | undefined,
    overlapMs: number,
    localNow: (() => number) | undefined,
  ): Promise<{ now: number; changes: RowVersion[] }> {
    if (this.dialect === 'postgres' && localNow === undefined) {
      // A left join: the one row of `c` comes back even when nothing changed.
      const { rows } = await sql<{
        now: string | number;
        id: string | null;
        updated_at: string | number | null;
      }>`
        with c as (select floor(extract(epoch from clock_timestamp()) * 1000)::bigint as now)
        select c.now, a.id, a.updated_at from c
        left join actions a
          on a.updated_at >= coalesce(${since ?? null}::bigint, c.now) - ${overlapMs}::bigint`.execute(
        this.db,
      );
      const now = Number(rows[0]?.now);
      if (!Number.isSafeInteger(now)) throw new Error('the database returned no clock reading');
      const changes = rows.flatMap((r) =>
        r.id === null ? [] : [{ id: r.id, updated_at: Number(r.updated_at) }],
      );
      return { now, changes };
    }
    const now = (localNow ?? Date.now)();
    const rows = await this.db
      .selectFrom('actions')
      .select(['id', 'updated_at'])
      .where('updated_at', '>=', (since ?? now) - overlapMs)
      .execute();
    return { now, changes: rows.map((r) => ({ id: r.id, updated_at: Number(r.updated_at) })) };
  }

  /**
   * The earliest expiry and escalation deadline of pending requests (undefined: none) and the
   * clock reading they compare against, in one statement: two reads of the first entries of
   * the partial indexes `actions_pending_expiry` / `actions_pending_escalation`. The timers
   * peek with it, so an idle tick costs one query, and wake at the next deadline. The clock as
   * in `changedSince`: the database's on PostgreSQL unless `localNow` is given.
   */
  async nextDeadlines(localNow: (() => number) | undefined): Promise<NextDeadlines> {
    const useDb = this.dialect === 'postgres' && localNow === undefined;
    const { rows } = await sql<{
      expiry: string | number | null;
      escalation: string | number | null;
      now: string | number | null;
    }>`select
        (select min(expires_at) from actions where status = 'pending') as expiry,
        (select min(escalate_at) from actions where status = 'pending') as escalation,
        ${useDb ? sql`floor(extract(epoch from clock_timestamp()) * 1000)::bigint` : sql`null`} as now`.execute(
      this.db,
    );
    const row = rows[0];
    const at = (v: string | number | null | undefined) =>
      v === null || v === undefined ? undefined : Number(v);
    const now = useDb ? Number(row?.now) : (localNow ?? Date.now)();
    if (!Number.isSafeInteger(now)) throw new Error('the database returned no clock reading');
    return { now, expiry: at(row?.expiry), escalation: at(row?.escalation) };
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

  async list(filter: ActionFilter): Promise<ActionRecord[]> {
    let q = this.db.selectFrom('actions').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.agent_id) q = q.where('agent_id', '=', filter.agent_id);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.environment) q = q.where('environment', '=', filter.environment);
    if (filter.created_after !== undefined) q = q.where('created_at', '>=', filter.created_after);
    if (filter.created_before !== undefined) q = q.where('created_at', '<', filter.created_before);
    if (filter.before_id) q = q.where('id', '<', filter.before_id);
    if (filter.break_glass) q = q.where('break_glass', '=', 1);
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

  votes(id: string): Promise<Vote[]> {
    return selectVotes(this.db, id);
  }

  /** The votes of several requests, in one query (the batches list). */
  votesOf(ids: readonly string[]): Promise<Map<string, Vote[]>> {
    return selectVotesOf(this.db, ids);
  }

  /**
   * The stored submission trace contexts of these requests (telemetry/): the spans of a later
   * vote, decision or redemption, on any replica, join the submitter's trace through them.
   * Requests submitted while tracing was off are absent.
   */
  async traceParents(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('actions')
      .select(['id', 'trace_parent'])
      .where('id', 'in', [...ids])
      .where('trace_parent', 'is not', null)
      .execute();
    return new Map(rows.flatMap((r) => (r.trace_parent ? [[r.id, r.trace_parent]] : [])));
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
