import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './open-database.js';
import { sqliteFastPath } from './sqlite-fast-path.js';
import { readAuditHeadFast, writeAuditRowsFast } from './sqlite-audit-writes.js';
import { inTransaction } from './held-transaction.js';

/**
 * The PostgreSQL advisory lock whose holder sequences the next batch (one key for the
 * database; migrate-to-latest.ts uses another). Taken per batch, transaction-scoped: see
 * `sequenceBatch`.
 */
export const SEQUENCER_LOCK_KEY = '7165930224857851438';

export interface AuditHead {
  size: number;
  /** Base64 hashes of the right edge. */
  frontier: string[];
  lastLeaf: string | null;
}

/** One sequenced entry as it is stored: its index, canonical text, leaf hash and keys. */
export interface AuditEntryRow {
  index: number;
  entry: string;
  leaf_hash: string;
  at: number;
  type: string;
  request_id: string | null;
}

export interface StoredEntry {
  index: number;
  entry: string;
  leaf_hash: string;
}

/** Evidence committed with its change and not yet given an index (PostgreSQL). */
export interface QueuedEvent {
  id: number;
  at: number;
  type: string;
  request_id: string | null;
  /** JSON text. */
  actor: string;
  /** Canonical JSON text, redacted. */
  data: string;
}

/** What one sequencing batch writes: the new head, its entries and completed subtrees. */
export interface SequencedBatch {
  head: AuditHead;
  entries: Parameters<AuditRepository['write']>[2];
  nodes: Parameters<AuditRepository['write']>[3];
}

export interface StoredCheckpoint {
  size: number;
  root_hash: string;
  note: string;
  created_at: number;
}

/** A checkpoint row as read: PostgreSQL returns BIGINT columns as strings, hence `Number`. */
export function storedCheckpoint(row: StoredCheckpoint): StoredCheckpoint {
  return { ...row, size: Number(row.size), created_at: Number(row.created_at) };
}

/** The only code that reads or writes the audit tables. Appends happen inside a caller's transaction. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Whether appends are sequenced inside the committing transaction (SQLite: one writer at a
   * time anyway) rather than queued for the sequencer (PostgreSQL: no request path may hold a
   * lock every replica needs).
   */
  get sequencesInline(): boolean {
    return this.dialect !== 'postgres';
  }

  /** Queues evidence in the change's own transaction: an insert, no lock beyond its rows. */
  async enqueue(trx: Kysely<Database>, rows: ReadonlyArray<Omit<QueuedEvent, 'id'>>) {
    if (rows.length > 0)
      await trx
        .insertInto('audit_queue')
        .values([...rows])
        .execute();
  }

  /** Whether any queued evidence is visible (with `upTo`: any with an id at or below it). */
  async hasQueued(upTo?: number): Promise<boolean> {
    // In key order, so PostgreSQL reads the primary key's index, not a heap full of rows the
    // sequencer deleted and vacuum has not reclaimed yet.
    let q = this.db.selectFrom('audit_queue').select('id').orderBy('id').limit(1);
    if (upTo !== undefined) q = q.where('id', '<=', upTo);
    return (await q.executeTakeFirst()) !== undefined;
  }

  /** When the oldest evidence still waiting for its index was queued (epoch ms), if any. */
  async oldestQueuedAt(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('audit_queue')
      .select('at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row && Number(row.at);
  }

  /** The newest queued id visible now, if any. */
  async lastQueuedId(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('audit_queue')
      .select('id')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && Number(row.id);
  }

  /**
   * One sequencing batch, in a short transaction of its own: if no other session holds the
   * sequencer's advisory lock, the oldest `limit` queued rows become entries (`build` gives
   * their indexes and hashes from the head) and leave the queue, atomically. 'busy' when
   * another session is sequencing.
   *
   * `pg_try_advisory_xact_lock` never waits, and the lock ends with the transaction: a leader
   * that dies or freezes mid-batch loses it when PostgreSQL ends its session (a dropped
   * connection, `idle_in_transaction_session_timeout`, `statement_timeout`), its batch rolls
   * back whole, and the next replica to try takes over from the committed head. Between
   * batches nobody holds it, so a frozen leader never blocks the others.
   * (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS)
   */
  sequenceBatch(
    limit: number,
    build: (head: AuditHead, rows: QueuedEvent[]) => SequencedBatch,
  ): Promise<number | 'busy'> {
    return inTransaction(this.db, async (trx) => {
      const { rows: lock } = await sql<{ ok: boolean }>`
        select pg_try_advisory_xact_lock(${SEQUENCER_LOCK_KEY}::bigint) as ok`.execute(trx);
      if (!lock[0]?.ok) return 'busy';
      // The head row lock also holds off a writer of an older version that still appends in
      // its own transaction (a rolling upgrade).
      const head = await this.lockHead(trx);
      const queued = await trx
        .selectFrom('audit_queue')
        .selectAll()
        .orderBy('id')
        .limit(limit)
        .execute();
      if (queued.length === 0) return 0;
      const rows = queued.map((r) => ({ ...r, id: Number(r.id), at: Number(r.at) }));
      const batch = build(head, rows);
      await this.write(trx, batch.head, batch.entries, batch.nodes);
      await trx
        .deleteFrom('audit_queue')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.length;
    });
  }

  /**
   * Reads the head inside `trx` and, on PostgreSQL, locks it until commit. Appends inline
   * (SQLite) and sequencing batches (PostgreSQL) hold it, never a request's transaction on
   * PostgreSQL: indexes are dense and every entry's `prev` is the real previous leaf.
   */
  async lockHead(trx: Kysely<Database>): Promise<AuditHead> {
    // SQLite: a prepared statement on the transaction's connection (sqlite-audit-writes.ts).
    const fast = this.dialect === 'sqlite' ? sqliteFastPath(trx as Kysely<unknown>) : undefined;
    if (fast) return readAuditHeadFast(fast);
    let q = trx.selectFrom('audit_head').selectAll().where('id', '=', 1);
    if (this.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirstOrThrow();
    return {
      size: Number(row.size),
      frontier: JSON.parse(row.frontier) as string[],
      lastLeaf: row.last_leaf,
    };
  }

  async write(
    trx: Kysely<Database>,
    head: AuditHead,
    entries: AuditEntryRow[],
    nodes: Array<{ level: number; idx: number; hash: string }>,
  ): Promise<void> {
    // SQLite: prepared statements on the transaction's connection (sqlite-audit-writes.ts).
    const fast = this.dialect === 'sqlite' ? sqliteFastPath(trx as Kysely<unknown>) : undefined;
    if (fast) return writeAuditRowsFast(fast, head, entries, nodes);
    await trx
      .insertInto('audit_entries')
      .values(
        entries.map((e) => ({
          idx: e.index,
          entry: e.entry,
          leaf_hash: e.leaf_hash,
          at: e.at,
          type: e.type,
          request_id: e.request_id,
        })),
      )
      .execute();
    if (nodes.length > 0) await trx.insertInto('audit_nodes').values(nodes).execute();
    await trx
      .updateTable('audit_head')
      .set({ size: head.size, frontier: JSON.stringify(head.frontier), last_leaf: head.lastLeaf })
      .where('id', '=', 1)
      .execute();
  }

  async size(): Promise<number> {
    const row = await this.db
      .selectFrom('audit_head')
      .select('size')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.size);
  }

  /** Entries [from, to) in order. */
  async entries(from: number, to: number): Promise<StoredEntry[]> {
    const rows = await this.db
      .selectFrom('audit_entries')
      .select(['idx', 'entry', 'leaf_hash'])
      .where('idx', '>=', from)
      .where('idx', '<', to)
      .orderBy('idx')
      .execute();
    return rows.map((r) => ({ index: Number(r.idx), entry: r.entry, leaf_hash: r.leaf_hash }));
  }

  /** One request's entries, in order: its timeline. */
  async forRequest(requestId: string): Promise<StoredEntry[]> {
    return this.forRequests([requestId]);
  }

  /** The entries of several requests in one query, in log order (none for no ids). */
  async forRequests(requestIds: readonly string[]): Promise<StoredEntry[]> {
    if (requestIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('audit_entries')
      .select(['idx', 'entry', 'leaf_hash'])
      .where('request_id', 'in', requestIds)
      .orderBy('idx')
      .execute();
    return rows.map((r) => ({ index: Number(r.idx), entry: r.entry, leaf_hash: r.leaf_hash }));
  }

  /** Leaf hashes (level 0) by index. */
  async leafHashes(indexes: readonly number[]): Promise<Map<number, string>> {
    if (indexes.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('audit_entries')
      .select(['idx', 'leaf_hash'])
      .where('idx', 'in', [...indexes])
      .execute();
    return new Map(rows.map((r) => [Number(r.idx), r.leaf_hash]));
  }

  /** Subtree hashes (level ≥ 1), keyed `level:idx`. */
  async nodeHashes(
    refs: ReadonlyArray<{ level: number; index: number }>,
  ): Promise<Map<string, string>> {
    if (refs.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('audit_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) =>
        eb.or(refs.map((r) => eb.and([eb('level', '=', r.level), eb('idx', '=', r.index)]))),
      )
      .execute();
    return new Map(rows.map((r) => [`${r.level}:${Number(r.idx)}`, r.hash]));
  }

  async insertCheckpoint(c: StoredCheckpoint): Promise<void> {
    await this.db
      .insertInto('audit_checkpoints')
      .values(c)
      .onConflict((oc) => oc.column('size').doNothing())
      .execute();
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const row = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && storedCheckpoint(row);
  }

  /** Checkpoints larger than `size`, smallest first: the first covers entry `size`. */
  async checkpointsAbove(size: number, limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('size', '>', size)
      .orderBy('size', 'asc')
      .limit(limit)
      .execute();
    return rows.map(storedCheckpoint);
  }

  async checkpoints(limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(limit)
      .execute();
    return rows.map(storedCheckpoint);
  }
}
