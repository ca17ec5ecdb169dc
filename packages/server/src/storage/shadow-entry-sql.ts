import { sql, type RawBuilder } from 'kysely';
import type { DialectName } from './open-database.js';

/**
 * The shadow version a `policy.shadow_disagreed` audit entry names, as SQL over its JSON text.
 * The index of migration 0017 is built on exactly this expression, and a query uses the index
 * only if it repeats it to the byte: never edit it; a new expression needs a new migration.
 */
export function shadowVersionOfEntry(dialect: DialectName): RawBuilder<string> {
  return dialect === 'postgres'
    ? sql.raw(`((entry::jsonb) #>> '{data,shadow,policy_version}')`)
    : sql.raw(`json_extract(entry, '$.data.shadow.policy_version')`);
}

/** A JSON path of an audit entry (`audit_entries.entry`, the whole entry) as text. */
export function entryField(dialect: DialectName, path: readonly string[]): RawBuilder<string> {
  return jsonField(dialect, 'entry', path);
}

/** A JSON path of a queued entry's `data` (`audit_queue.data`, the data alone) as text. */
export function queuedDataField(dialect: DialectName, path: readonly string[]): RawBuilder<string> {
  return jsonField(dialect, 'data', path);
}

function jsonField(
  dialect: DialectName,
  column: 'entry' | 'data',
  path: readonly string[],
): RawBuilder<string> {
  for (const p of path) if (!/^[a-z_]+$/.test(p)) throw new Error(`bad JSON path segment ${p}`);
  return dialect === 'postgres'
    ? sql.raw(`((${column}::jsonb) #>> '{${path.join(',')}}')`)
    : sql.raw(`json_extract(${column}, '$.${path.join('.')}')`);
}
