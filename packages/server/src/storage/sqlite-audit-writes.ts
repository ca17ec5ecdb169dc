import type { AuditEntryRow, AuditHead } from './audit-repository.js';
import type { SqliteFastPath } from './sqlite-fast-path.js';

/**
 * The audit append's writes on SQLite (AuditRepository.write), as prepared statements of fixed
 * text run on the transaction's connection: one INSERT per entry and per node instead of a
 * multi-row INSERT that Kysely builds, compiles and prepares afresh for every batch size. Only
 * how the rows reach SQLite differs; what they hold is the repository's (AuditEntryRow).
 */
export function writeAuditRowsFast(
  fast: SqliteFastPath,
  head: AuditHead,
  entries: readonly AuditEntryRow[],
  nodes: ReadonlyArray<{ level: number; idx: number; hash: string }>,
): void {
  for (const e of entries) {
    fast.run(INSERT_ENTRY, [e.index, e.entry, e.leaf_hash, e.at, e.type, e.request_id]);
  }
  for (const n of nodes) fast.run(INSERT_NODE, [n.level, n.idx, n.hash]);
  fast.run(UPDATE_HEAD, [head.size, JSON.stringify(head.frontier), head.lastLeaf]);
}

/** The audit head, read on the transaction's connection (AuditRepository.lockHead on SQLite). */
export function readAuditHeadFast(fast: SqliteFastPath): AuditHead {
  const row = fast.get(SELECT_HEAD, []) as
    { size: number | bigint; frontier: string; last_leaf: string } | undefined;
  if (row === undefined) throw new Error('audit_head has no row: the store is not migrated');
  return {
    size: Number(row.size),
    frontier: JSON.parse(row.frontier) as string[],
    lastLeaf: row.last_leaf,
  };
}

const SELECT_HEAD = 'select "size", "frontier", "last_leaf" from "audit_head" where "id" = 1';
const INSERT_ENTRY =
  'insert into "audit_entries" ("idx", "entry", "leaf_hash", "at", "type", "request_id") values (?, ?, ?, ?, ?, ?)';
const INSERT_NODE = 'insert into "audit_nodes" ("level", "idx", "hash") values (?, ?, ?)';
const UPDATE_HEAD =
  'update "audit_head" set "size" = ?, "frontier" = ?, "last_leaf" = ? where "id" = 1';
