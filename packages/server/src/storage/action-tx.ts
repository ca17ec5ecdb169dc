import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import type { ActionRecord, ActionResult, GrantRef, Status, Vote } from '@countersign/core';
import type { Database } from './schema.js';
import type { DialectName } from './open-database.js';
import type { TransactionScope } from './group-commit.js';
import { recordFromRow, rowFromRecord } from './action-rows.js';
import { rowFromVote, selectVotes, selectVotesOf } from './vote-rows.js';
import { CHANGE_CHANNEL, encodeChanges } from './change-feed.js';
import type { AuditEvent } from '../audit/audit-events.js';
import type { EvidenceLog } from './evidence-log.js';
import { outboxIn, type NewOutboxRow, type OutboxTx } from './outbox-repository.js';
import { sqliteFastPath } from './sqlite-fast-path.js';
import { StandingTx } from './standing-approval-repository.js';

/**
 * Keys of what a transaction collects for one write at its end (TransactionScope.collect):
 * PostgreSQL writes a batch's new requests, review groups and outbox rows one multi-row INSERT
 * per table, and its change announcements in one NOTIFY statement.
 */
const NEW_ACTIONS = {};
const NEW_REVIEW_GROUPS = {};
const NEW_OUTBOX_ROWS = {};
const ANNOUNCED = {};

interface ReviewGroupRow {
  action_id: string;
  group_name: string;
}

/** Rows per outbox INSERT: 11 parameters a row, well under any driver's parameter limit. */
const OUTBOX_CHUNK = 1000;

/** A due request to expire, with the reason its record will carry. */
export interface Expiry {
  id: string;
  reason: string;
}

/** A due escalation: the rules escalated so far, the next deadline, the groups that join. */
export interface Escalation {
  id: string;
  escalatedRules: readonly string[];
  nextEscalateAt: number | null;
  newGroups: readonly string[];
}

const INSERT_SQL = new Map<DialectName, string>();

/** Fields a state change may set besides the status. */
export interface TransitionFields {
  reason?: string;
  result?: ActionResult;
  grant?: GrantRef;
  break_glass?: boolean;
  /** The standing approval that approved it (docs/fatigue.md). */
  standing_approval_id?: string;
}

/**
 * The write side of the actions tables, bound to one transaction: everything a state change
 * touches (the request, its votes, its reviewer groups, its outbox rows and its audit entries)
 * commits together or not at all.
 */
export class ActionTx implements OutboxTx {
  private readonly trx: Kysely<Database>;
  #standing: StandingTx | undefined;

  constructor(
    private readonly scope: TransactionScope,
    private readonly dialect: DialectName,
    private readonly evidence: EvidenceLog,
  ) {
    this.trx = scope.trx;
  }

  /** The standing approval tables, in this transaction (docs/fatigue.md). */
  get standing(): StandingTx {
    return (this.#standing ??= new StandingTx(this.scope, this.dialect));
  }

  /** Outgoing notifications (notify/): they exist if and only if the change does. */
  enqueue(rows: readonly NewOutboxRow[]): Promise<void> {
    if (this.dialect !== 'postgres' || rows.length === 0) return outboxIn(this.trx).enqueue(rows);
    // PostgreSQL: every unit's rows join one multi-row INSERT before the commit (a round trip
    // per batch, not per change). Ids were drawn in enqueue order, so delivery order is kept.
    this.scope.collect(NEW_OUTBOX_ROWS, rows, async (all: NewOutboxRow[]) => {
      for (let i = 0; i < all.length; i += OUTBOX_CHUNK) {
        await outboxIn(this.trx).enqueue(all.slice(i, i + OUTBOX_CHUNK));
      }
    });
    return Promise.resolve();
  }

  /** Audit entries, appended at the end of this transaction with the batch's others. */
  appendEvidence(events: readonly AuditEvent[]): void {
    this.evidence.appendAtCommit(this.scope, events);
  }

  /**
   * Tells other replicas that these requests changed (change-feed.ts). On PostgreSQL the
   * NOTIFY is sent in this transaction, so it is delivered on commit and never on rollback;
   * one statement per transaction however many units of work it holds. SQLite: nothing to do.
   */
  announce(origin: string, ids: readonly string[]): void {
    if (this.dialect !== 'postgres' || ids.length === 0) return;
    this.scope.collect(ANNOUNCED, ids, async (all: string[]) => {
      const unique = [...new Set(all)];
      await sql`select pg_notify(${CHANGE_CHANNEL}, p) from unnest(${encodeChanges(origin, unique)}::text[]) as p`.execute(
        this.trx,
      );
    });
  }

  /**
   * Reads a request and, on PostgreSQL, locks its row until commit, so concurrent votes on one
   * request are serialised across replicas. SQLite transactions are serialised already.
   */
  async lock(id: string): Promise<ActionRecord | undefined> {
    let q = this.trx.selectFrom('actions').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') {
      // Rows are locked in ascending id order (group-commit.ts). A lock that would break the
      // order (a unit of the batch that did not say which row it locks) does not wait: NOWAIT
      // fails at once if another transaction holds the row, the batch rolls back and each of
      // its units is retried alone, instead of waiting in a possible deadlock cycle.
      const { locks } = this.scope;
      const outOfOrder = locks.highest !== undefined && id < locks.highest;
      q = outOfOrder ? q.forUpdate().noWait() : q.forUpdate();
      if (!outOfOrder) locks.highest = id;
    }
    const row = await q.executeTakeFirst();
    return row && recordFromRow(row);
  }

  /**
   * Claims pending requests whose `column` deadline is at or before `now`, oldest first, locked
   * until commit. On PostgreSQL `FOR UPDATE SKIP LOCKED`: replicas firing timers at once take
   * disjoint batches instead of queueing on the same rows; SQLite transactions are serialised.
   * Served by the partial indexes `actions_pending_expiry` / `actions_pending_escalation`.
   */
  async lockDue(
    column: 'expires_at' | 'escalate_at',
    now: number,
    limit: number,
  ): Promise<ActionRecord[]> {
    let q = this.trx
      .selectFrom('actions')
      .selectAll()
      .where('status', '=', 'pending')
      .where(column, '<=', now)
      .orderBy(column)
      .limit(limit);
    if (this.dialect === 'postgres') q = q.forUpdate().skipLocked();
    const claimed = (await q.execute()).map(recordFromRow);
    if (this.dialect === 'postgres') {
      // A timer cannot say beforehand which rows it will claim (its `lockKey`), so it says so
      // after: SKIP LOCKED never waits, but the claimed rows stay locked to the end of the
      // batch, and a later unit locking a lower id must refuse to wait (NOWAIT, see `lock`).
      const { locks } = this.scope;
      for (const r of claimed) {
        if (locks.highest === undefined || r.id > locks.highest) locks.highest = r.id;
      }
    }
    return claimed;
  }

  /**
   * Inserts a request, or returns the agent's earlier one with the same idempotency key.
   * `traceParent`: the submission span's W3C context, stored beside the record (telemetry/).
   */
  async insert(
    record: ActionRecord,
    reviewGroups: readonly string[],
    traceParent: string | null = null,
    options: { immediate?: boolean } = {},
  ): Promise<{ record: ActionRecord; created: boolean }> {
    // `immediate`: the row must exist before the work goes on (a standing approval approves it).
    if (this.dialect === 'postgres' && record.idempotency_key === null && !options.immediate) {
      // Nothing can conflict with a request that has no idempotency key (its id is new): its
      // row joins the batch's one INSERT, written before the commit hooks that follow.
      this.#deferInsert(record, reviewGroups, traceParent);
      return { record, created: true };
    }
    const query = this.insertQuery(rowFromRecord(record, traceParent));
    // SQLite: the same statement, prepared once, run straight on the connection this
    // transaction holds (sqlite-fast-path.ts).
    const fast =
      this.dialect === 'sqlite' ? sqliteFastPath(this.trx as Kysely<unknown>) : undefined;
    const changed = fast
      ? fast.run(query.sql, query.parameters)
      : Number((await this.trx.executeQuery(query)).numAffectedRows ?? 0n);
    if (changed === 0) {
      const existing = await this.trx
        .selectFrom('actions')
        .selectAll()
        .where('agent_id', '=', record.agent_id)
        .where('idempotency_key', '=', record.idempotency_key)
        .executeTakeFirstOrThrow();
      return { record: recordFromRow(existing), created: false };
    }
    await this.addReviewGroups(record.id, reviewGroups);
    return { record, created: true };
  }

  #deferInsert(record: ActionRecord, groups: readonly string[], traceParent: string | null): void {
    // Written before the other commit hooks (`first`), which may refer to these rows; the
    // requests before their groups.
    const first = { first: true };
    this.scope.collect(
      NEW_ACTIONS,
      [rowFromRecord(record, traceParent)],
      async (rows: Array<ReturnType<typeof rowFromRecord>>) => {
        await this.trx.insertInto('actions').values(rows).execute();
      },
      first,
    );
    if (groups.length === 0) return;
    this.scope.collect(
      NEW_REVIEW_GROUPS,
      groups.map((group_name) => ({ action_id: record.id, group_name })),
      (rows: ReviewGroupRow[]) => this.#insertReviewGroups(rows),
      first,
    );
  }

  /** Review groups that join requests; a group already there stays as it is. */
  async #insertReviewGroups(rows: readonly ReviewGroupRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.trx
      .insertInto('action_review_groups')
      .values([...rows])
      .onConflict((oc) => oc.columns(['action_id', 'group_name']).doNothing())
      .execute();
  }

  /**
   * The request INSERT is the hot path of every submission: Kysely builds it once per dialect,
   * and later calls bind fresh values to the same SQL text (the row's keys are always in the
   * same order, so `Object.values` lines up with the compiled placeholders).
   */
  private insertQuery(row: ReturnType<typeof rowFromRecord>): CompiledQuery {
    let text = INSERT_SQL.get(this.dialect);
    if (text === undefined) {
      text = this.trx
        .insertInto('actions')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['agent_id', 'idempotency_key'])
            .where('idempotency_key', 'is not', null)
            .doNothing(),
        )
        .compile().sql;
      INSERT_SQL.set(this.dialect, text);
    }
    return CompiledQuery.raw(text, Object.values(row));
  }

  addReviewGroups(id: string, groups: readonly string[]): Promise<void> {
    return this.#insertReviewGroups(groups.map((group_name) => ({ action_id: id, group_name })));
  }

  /**
   * Moves a request from `from` to `to` only if it is still in `from`: the compare-and-set
   * that makes a terminal transition happen exactly once. Returns the new record, or
   * undefined if another writer got there first.
   */
  async transition(
    id: string,
    from: Status,
    to: Status,
    now: number,
    fields: TransitionFields = {},
  ): Promise<ActionRecord | undefined> {
    const res = await this.trx
      .updateTable('actions')
      .set({
        status: to,
        updated_at: now,
        ...(from === 'pending' ? { decided_at: now, escalate_at: null } : {}),
        ...(fields.reason === undefined ? {} : { reason: fields.reason }),
        ...(fields.break_glass ? { break_glass: 1 } : {}),
        ...(fields.standing_approval_id === undefined
          ? {}
          : { standing_approval_id: fields.standing_approval_id }),
        ...(fields.grant === undefined
          ? {}
          : {
              grant_jti: fields.grant.jti,
              grant_token: fields.grant.token,
              grant_expires_at: fields.grant.expires_at,
            }),
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
    if (Number(res.numUpdatedRows) !== 1) return undefined;
    return this.read(id);
  }

  /**
   * Expires a claimed batch of pending requests (`lockDue`) in one statement, each with its own
   * reason; the same compare-and-set as `transition(id, 'pending', 'expired')`. Returns the
   * records that did expire, in the order of `items`.
   */
  async expire(items: readonly Expiry[], now: number): Promise<ActionRecord[]> {
    if (items.length === 0) return [];
    const rows = await this.trx
      .updateTable('actions')
      .set({
        status: 'expired',
        updated_at: now,
        decided_at: now,
        escalate_at: null,
        reason: byId(items.map((i) => [i.id, sql`${i.reason}`])),
      })
      .where(
        'id',
        'in',
        items.map((i) => i.id),
      )
      .where('status', '=', 'pending')
      .returningAll()
      .execute();
    return inOrderOf(items, rows.map(recordFromRow));
  }

  /**
   * Escalates a claimed batch of pending requests (`lockDue`): one UPDATE for every request and
   * one INSERT for every group that joins. Returns the updated records, in the order of `items`.
   */
  async escalateAll(items: readonly Escalation[], now: number): Promise<ActionRecord[]> {
    if (items.length === 0) return [];
    const rows = await this.trx
      .updateTable('actions')
      .set({
        escalated_rules: byId(items.map((i) => [i.id, sql`${JSON.stringify(i.escalatedRules)}`])),
        // A bare parameter in a CASE is text to PostgreSQL: cast to the column's type.
        escalate_at: byId(items.map((i) => [i.id, sql`cast(${i.nextEscalateAt} as bigint)`])),
        updated_at: now,
      })
      .where(
        'id',
        'in',
        items.map((i) => i.id),
      )
      .where('status', '=', 'pending')
      .returningAll()
      .execute();
    const updated = new Set(rows.map((r) => r.id));
    const groups = items
      .filter((i) => updated.has(i.id))
      .flatMap((i) => i.newGroups.map((group_name) => ({ action_id: i.id, group_name })));
    await this.#insertReviewGroups(groups);
    return inOrderOf(items, rows.map(recordFromRow));
  }

  /**
   * Stores a vote. A second counted vote by the same person is refused by the unique index
   * itself (returns false), whatever raced to get here.
   */
  async addVote(vote: Vote): Promise<boolean> {
    const res = await this.trx
      .insertInto('votes')
      .values(rowFromVote(vote))
      // SQLite matches a partial index only if the predicate is the same text, not a parameter.
      .onConflict((oc) =>
        oc
          .columns(['action_id', 'user_id'])
          .where(sql.ref('outcome'), '=', sql.lit('counted'))
          .doNothing(),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  votes(id: string): Promise<Vote[]> {
    return selectVotes(this.trx, id);
  }

  /** The votes of several requests, in one query. */
  votesOf(ids: readonly string[]): Promise<Map<string, Vote[]>> {
    return selectVotesOf(this.trx, ids);
  }

  private async read(id: string): Promise<ActionRecord | undefined> {
    const row = await this.trx
      .selectFrom('actions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && recordFromRow(row);
  }
}

/** `CASE id WHEN … THEN … END`: one value per row of a multi-row UPDATE, in both dialects. */
function byId(values: ReadonlyArray<readonly [string, RawBuilder<unknown>]>): RawBuilder<never> {
  return sql<never>`case ${sql.join(
    values.map(([id, value]) => sql`when id = ${id} then ${value}`),
    sql` `,
  )} end`;
}

/** `records` in the order of `items` (RETURNING has none). */
function inOrderOf(items: ReadonlyArray<{ id: string }>, records: ActionRecord[]): ActionRecord[] {
  const byKey = new Map(records.map((r) => [r.id, r]));
  return items.flatMap((i) => byKey.get(i.id) ?? []);
}
