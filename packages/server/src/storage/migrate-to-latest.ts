import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Migrator, type Kysely } from 'kysely';
import { CountersignError } from '@countersign/core';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';

/** How long a start waits for another process's migrations before giving up. */
export const MIGRATION_LOCK_WAIT_MS = 60_000;

/**
 * A lock key of our own (any 64-bit number: "countersign" in ASCII, truncated), distinct from
 * Kysely's, so an application sharing the database with its own Kysely migrations never waits
 * for ours.
 */
const PG_LOCK_KEY = '7165930224857851437';

/** What holds other processes off while this one migrates. */
export type MigrationLock =
  { dialect: 'sqlite'; database: BetterSqlite3.Database } | { dialect: 'postgres'; url: string };

/**
 * Brings the schema up to date, one process at a time. Kysely's Migrator takes no lock on
 * SQLite (its adapter's lock is a no-op, and it runs DDL outside a transaction), so two CLI
 * processes starting on a fresh data directory both saw an empty schema and the second died
 * on `table "actions" already exists`.
 *
 * - SQLite: the migrations run inside one `BEGIN IMMEDIATE` transaction on the connection
 *   Kysely uses. IMMEDIATE takes the database's write lock at BEGIN
 *   (https://www.sqlite.org/lang_transaction.html), so a second process waits there and then
 *   reads the schema the first one committed. SQLite DDL is transactional, so a failed
 *   migration leaves nothing half-done.
 * - PostgreSQL: a session-level advisory lock (pg_advisory_lock) on a dedicated connection is
 *   held around the whole run, including Kysely's creation of its bookkeeping tables.
 */
export async function migrateToLatest(db: Kysely<Database>, lock: MigrationLock): Promise<void> {
  const run = async () => {
    const { error, results } = await new Migrator({
      db,
      provider: migrationProvider,
    }).migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new CountersignError(
        'storage_unavailable',
        `database migration ${failed} failed: ${(error as Error).message}`,
      );
    }
  };
  if (lock.dialect === 'sqlite') await underSqliteWriteLock(lock.database, run);
  else await underAdvisoryLock(lock.url, run);
}

async function underSqliteWriteLock(
  database: BetterSqlite3.Database,
  run: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS;
  // Poll without busy_timeout: its wait blocks the event loop, and the process holding the
  // lock may be this one (several stores opened at once in one process).
  const busyTimeout = database.pragma('busy_timeout', { simple: true }) as number;
  database.pragma('busy_timeout = 0');
  try {
    for (;;) {
      try {
        database.exec('BEGIN IMMEDIATE');
        break;
      } catch (e) {
        if (!/^SQLITE_BUSY/.test(String((e as { code?: unknown }).code)) || Date.now() > deadline) {
          throw new CountersignError(
            'storage_unavailable',
            `could not take the database write lock to migrate: ${(e as Error).message}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    database.pragma(`busy_timeout = ${busyTimeout}`);
  }
  try {
    await run();
    database.exec('COMMIT');
  } catch (e) {
    if (database.inTransaction) database.exec('ROLLBACK');
    throw e;
  }
}

async function underAdvisoryLock(url: string, run: () => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(`SET lock_timeout = ${MIGRATION_LOCK_WAIT_MS}`);
    await client.query('SELECT pg_advisory_lock($1)', [PG_LOCK_KEY]);
    await run();
  } finally {
    // Ending the session releases a session-level advisory lock too, even if unlock fails.
    await client.query('SELECT pg_advisory_unlock($1)', [PG_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
