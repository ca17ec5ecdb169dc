import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './open-database.js';
import { sqliteFastPath } from './sqlite-fast-path.js';
import { writeAuditRowsFast } from './sqlite-audit-writes.js';

export interface AuditHead {
  size: number;
  /** Base64 hashes of the right edge. */
  frontier: string[];
  lastLeaf: string | null;
}

export interface StoredEntry {
  index: number;
  entry: string;
  leaf_hash: string;
}

export interface StoredCheckpoint {
  size: number;
  root_hash: string;
  note: string;
  created_at: number;
}

/** The only code that reads or writes the audit tables. Appends happen inside a caller's transaction. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Reads the head inside `trx` and, on PostgreSQL, locks it until commit: appends from every
   * replica are serialised, so indexes are dense and every entry's `prev` is the real previous
   * leaf. (SQLite serialises write transactions already.)
   */
  async lockHead(trx: Kysely<Database>): Promise<AuditHead> {
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
    entries: Array<{
      index: number;
      entry: string;
      leaf_hash: string;
      at: number;
      type: string;
      request_id: string | null;
    }>,
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
    const rows = await this.db
      .selectFrom('audit_entries')
      .select(['idx', 'entry', 'leaf_hash'])
      .where('request_id', '=', requestId)
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
    return row && { ...row, size: Number(row.size), created_at: Number(row.created_at) };
  }

  async checkpoints(limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      ...row,
      size: Number(row.size),
      created_at: Number(row.created_at),
    }));
  }
}
