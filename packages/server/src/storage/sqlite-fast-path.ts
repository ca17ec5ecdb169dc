import type BetterSqlite3 from 'better-sqlite3';
import type { DialectAdapter, Kysely } from 'kysely';
import { storeStats, unavailable } from './guarded-dialect.js';

/**
 * The hot statements of an SQLite store, run as cached better-sqlite3 prepared statements
 * instead of through Kysely: the same SQL, on the same (single) connection, so inside the
 * transaction Kysely holds open. Going through Kysely's executor, plugins, driver and promise
 * chain cost ~3 × what SQLite itself spends on these statements (issue 13's profile).
 * Only for statements whose SQL text is fixed; everything else stays with Kysely.
 */
export class SqliteFastPath {
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  /** Runs `sql` with `values`; the number of rows it changed. Errors as Kysely's would be. */
  run(sql: string, values: readonly unknown[]): number {
    const stmt = this.#prepared(sql);
    storeStats.statements++;
    try {
      return stmt.run(values).changes;
    } catch (e) {
      return unavailable(e);
    }
  }

  /** The first row `sql` returns with `values`, if any. */
  get(sql: string, values: readonly unknown[]): unknown {
    const stmt = this.#prepared(sql);
    storeStats.statements++;
    try {
      return stmt.get(values);
    } catch (e) {
      return unavailable(e);
    }
  }

  #prepared(sql: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }
}

/** The fast path of each SQLite store, by the adapter every handle on that store shares. */
const byStore = new WeakMap<DialectAdapter, SqliteFastPath>();

/** Called once by openDatabase for an SQLite store. */
export function registerSqliteFastPath(db: Kysely<unknown>, handle: BetterSqlite3.Database): void {
  byStore.set(db.getExecutor().adapter, new SqliteFastPath(handle));
}

/** The fast path of the SQLite store behind `db` (a root or transaction handle), if any. */
export function sqliteFastPath(db: Kysely<unknown>): SqliteFastPath | undefined {
  return byStore.get(db.getExecutor().adapter);
}
