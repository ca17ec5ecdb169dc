import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { CountersignError } from '@countersign/core';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import { withStatementCache } from './sqlite-statement-cache.js';

export type DialectName = 'sqlite' | 'postgres';

export interface StorageOptions {
  /** `postgres://…` selects PostgreSQL; otherwise SQLite at `<dataDir>/countersign.db`. */
  url?: string | undefined;
  dataDir: string;
  /** SQLite only. NORMAL in WAL mode loses nothing on a process crash (kill -9). */
  synchronous?: 'NORMAL' | 'FULL';
}

export interface Storage {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

/**
 * Opens the store and brings its schema up to date. This is the only place that knows
 * which database is underneath; everything else talks to Kysely.
 */
export async function openDatabase(options: StorageOptions): Promise<Storage> {
  const { db, dialect } = options.url?.startsWith('postgres')
    ? { db: openPostgres(options.url), dialect: 'postgres' as const }
    : { db: openSqlite(options), dialect: 'sqlite' as const };
  const { error, results } = await new Migrator({
    db,
    provider: migrationProvider,
  }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new CountersignError(
      'storage_unavailable',
      `database migration ${failed} failed: ${(error as Error).message}`,
    );
  }
  return { db, dialect, close: () => db.destroy() };
}

function openSqlite(options: StorageOptions): Kysely<Database> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, 'countersign.db');
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  database.pragma('foreign_keys = ON');
  // Another process (the CLI creating a token) may hold the write lock for a moment.
  database.pragma('busy_timeout = 5000');
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
  });
}

function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // BIGINT (OID 20) arrives as a string by default; our epoch-ms values fit in a double.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
        oid === 20
          ? (v: string) => Number(v)
          : (pg.types.getTypeParser(
              oid,
              format ?? 'text',
            ) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
