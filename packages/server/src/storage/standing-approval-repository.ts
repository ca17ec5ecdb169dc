import type { Kysely, Selectable } from 'kysely';
import type {
  ApprovalRequirement,
  Channel,
  StandingApproval,
  StandingEndorser,
  StandingScope,
  StandingState,
} from '@countersign/core';
import type { Database, StandingApprovalsTable } from './schema.js';
import type { DialectName } from './open-database.js';
import type { TransactionScope } from './group-commit.js';

type Row = Selectable<StandingApprovalsTable>;

export interface StandingFilter {
  /** Stored states to include (expired/exhausted ones are `active` or `proposed` rows). */
  states?: readonly StandingState[] | undefined;
  agent_id?: string | undefined;
  limit: number;
}

function fromRow(row: Row, endorsers: StandingEndorser[]): StandingApproval {
  return {
    id: row.id,
    state: row.state as StandingState,
    source_action_id: row.source_action_id,
    agent_id: row.agent_id,
    action: row.action,
    environment: row.environment,
    rules: JSON.parse(row.rules) as string[],
    rule_fingerprints: JSON.parse(row.rule_fingerprints) as Record<string, string>,
    approval: JSON.parse(row.approval) as ApprovalRequirement,
    scope: JSON.parse(row.scope) as StandingScope,
    max_uses: Number(row.max_uses),
    uses: Number(row.uses),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
    created_by: row.created_by,
    endorsers,
    revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
    revoked_by: row.revoked_by,
    revoke_reason: row.revoke_reason,
  };
}

/** Reads standing approvals with their endorsers (proposer first), in two queries. */
async function readAll(db: Kysely<Database>, rows: Row[]): Promise<StandingApproval[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const byId = new Map<string, StandingEndorser[]>(ids.map((id) => [id, []]));
  for (let i = 0; i < ids.length; i += 500) {
    const endorsers = await db
      .selectFrom('standing_approval_endorsers')
      .selectAll()
      .where('standing_approval_id', 'in', ids.slice(i, i + 500))
      .orderBy('at')
      .orderBy('user_id')
      .execute();
    for (const e of endorsers) {
      byId.get(e.standing_approval_id)?.push({
        user: e.user_id,
        groups: JSON.parse(e.groups) as string[],
        channel: e.channel as Channel,
        at: Number(e.at),
      });
    }
  }
  return rows.map((r) => fromRow(r, byId.get(r.id) ?? []));
}

/** The only code that reads the standing approval tables outside a write transaction. */
export class StandingApprovalRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: string): Promise<StandingApproval | undefined> {
    const row = await this.db
      .selectFrom('standing_approvals')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && (await readAll(this.db, [row]))[0];
  }

  async findByIds(ids: readonly string[]): Promise<StandingApproval[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('standing_approvals')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return readAll(this.db, rows);
  }

  /** Newest first. */
  async list(filter: StandingFilter): Promise<StandingApproval[]> {
    let q = this.db.selectFrom('standing_approvals').selectAll();
    if (filter.states) q = q.where('state', 'in', [...filter.states]);
    if (filter.agent_id !== undefined) q = q.where('agent_id', '=', filter.agent_id);
    const rows = await q.orderBy('id', 'desc').limit(filter.limit).execute();
    return readAll(this.db, rows);
  }

  /** Every not-yet-expired proposed or active one (the in-memory index, the sweeps). */
  async live(now: number): Promise<StandingApproval[]> {
    const rows = await this.db
      .selectFrom('standing_approvals')
      .selectAll()
      .where('state', 'in', ['proposed', 'active'])
      .where('expires_at', '>', now)
      .execute();
    return readAll(
      this.db,
      rows.filter((r) => Number(r.uses) < Number(r.max_uses)),
    );
  }

  /**
   * Every standing approval that could have approved something in the window: created before
   * its end, and neither expired nor revoked before its start (the SOC 2 report).
   */
  async aliveIn(window: { start: number; end: number }): Promise<StandingApproval[]> {
    const rows = await this.db
      .selectFrom('standing_approvals')
      .selectAll()
      .where('created_at', '<', window.end)
      .where('expires_at', '>', window.start)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>=', window.start)]))
      .orderBy('id')
      .execute();
    return readAll(this.db, rows);
  }

  /** The requests a standing approval approved, oldest first. */
  async uses(id: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select('id')
      .where('standing_approval_id', '=', id)
      .orderBy('decided_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  }
}

/** The write side, bound to one transaction of the action writer (ActionTx.standing). */
export class StandingTx {
  private readonly trx: Kysely<Database>;

  constructor(
    private readonly scope: TransactionScope,
    private readonly dialect: DialectName,
  ) {
    this.trx = scope.trx;
  }

  async insert(sa: StandingApproval): Promise<void> {
    await this.trx
      .insertInto('standing_approvals')
      .values({
        id: sa.id,
        state: sa.state,
        source_action_id: sa.source_action_id,
        agent_id: sa.agent_id,
        action: sa.action,
        environment: sa.environment,
        rules: JSON.stringify(sa.rules),
        rule_fingerprints: JSON.stringify(sa.rule_fingerprints),
        approval: JSON.stringify(sa.approval),
        scope: JSON.stringify(sa.scope),
        max_uses: sa.max_uses,
        uses: sa.uses,
        expires_at: sa.expires_at,
        created_at: sa.created_at,
        created_by: sa.created_by,
        updated_at: sa.created_at,
        revoked_at: null,
        revoked_by: null,
        revoke_reason: null,
      })
      .execute();
    for (const e of sa.endorsers) await this.addEndorser(sa.id, e);
  }

  /** False if this human already endorsed it (the primary key decides, whatever raced). */
  async addEndorser(id: string, e: StandingEndorser): Promise<boolean> {
    const res = await this.trx
      .insertInto('standing_approval_endorsers')
      .values({
        standing_approval_id: id,
        user_id: e.user,
        groups: JSON.stringify(e.groups),
        channel: e.channel,
        at: e.at,
      })
      .onConflict((oc) => oc.columns(['standing_approval_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /**
   * Reads one and, on PostgreSQL, locks its row until commit: endorsements and revocations of
   * one standing approval are serialised across replicas (ids sort after request ids, so a
   * batch that locked requests first still locks in ascending order).
   */
  async lock(id: string): Promise<StandingApproval | undefined> {
    let q = this.trx.selectFrom('standing_approvals').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') {
      const { locks } = this.scope;
      const outOfOrder = locks.highest !== undefined && id < locks.highest;
      q = outOfOrder ? q.forUpdate().noWait() : q.forUpdate();
      if (!outOfOrder) locks.highest = id;
    }
    const row = await q.executeTakeFirst();
    return row && (await readAll(this.trx, [row]))[0];
  }

  /** proposed -> active, once. */
  async activate(id: string, now: number): Promise<boolean> {
    const res = await this.trx
      .updateTable('standing_approvals')
      .set({ state: 'active', updated_at: now })
      .where('id', '=', id)
      .where('state', '=', 'proposed')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Revokes unless already revoked; false if it was. */
  async revoke(id: string, by: string, reason: string | null, now: number): Promise<boolean> {
    const res = await this.trx
      .updateTable('standing_approvals')
      .set({
        state: 'revoked',
        revoked_at: now,
        revoked_by: by,
        revoke_reason: reason,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('state', '!=', 'revoked')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * Claims one use: the authority on whether a standing approval still approves. One
   * conditional UPDATE, so concurrent submissions (on any replica) racing for the last use
   * get it exactly once; a revoked, expired or exhausted one is refused whatever an
   * in-memory copy says. Returns the use number, or undefined if refused.
   */
  async claimUse(id: string, now: number): Promise<number | undefined> {
    const row = await this.trx
      .updateTable('standing_approvals')
      .set((eb) => ({ uses: eb('uses', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .where('state', '=', 'active')
      .where('expires_at', '>', now)
      .where((eb) => eb('uses', '<', eb.ref('max_uses')))
      .returning('uses')
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.uses);
  }
}
