import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely';
import { CountersignError } from '@countersign/core';
import type { Database } from './schema.js';
import { GuardedDialect } from './guarded-dialect.js';
import { migrateToLatest, type MigrationLock } from './migrate-to-latest.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { ReadinessProbe } from './readiness-probe.js';

export type DialectName = 'sqlite' | 'postgres';

export interface StorageOptions {
  /** `postgres://…` selects PostgreSQL; otherwise SQLite at `<dataDir>/countersign.db`. */
  url?: string | undefined;
  dataDir: string;
  /** SQLite only. NORMAL in WAL mode loses nothing on a process crash (kill -9). */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long any store call may wait before it fails with `storage_unavailable`. */
  timeoutMs?: number;
}

/**
 * How long a store call may wait (for a connection, a lock or an answer) before it fails
 * with `storage_unavailable` (503) instead of hanging the request.
 */
export const STORE_TIMEOUT_MS = 5_000;

/**
 * SQLite's busy_timeout: how long a write waits for another process's write lock. The wait
 * blocks the event loop (better-sqlite3 is synchronous), so it is kept short: every other
 * request, /readyz and a SIGTERM wait behind it.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 2_000;

export interface Storage {
  db: Kysely<Database>;
  dialect: DialectName;
  /**
   * Whether the store answers within `ms` (`/readyz`). On PostgreSQL on a connection of its
   * own (readiness-probe.ts), so a pool busy waiting on locks does not read as "down".
   */
  ready(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the store and brings its schema up to date. This is the only place that knows
 * which database is underneath; everything else talks to Kysely.
 */
export async function openDatabase(options: StorageOptions): Promise<Storage> {
  const timeoutMs = options.timeoutMs ?? STORE_TIMEOUT_MS;
  const opened: { dialect: Dialect; lock: MigrationLock } = options.url?.startsWith('postgres')
    ? {
        dialect: postgresDialect(options.url, timeoutMs),
        lock: { dialect: 'postgres', url: options.url },
      }
    : sqliteDialect(options);
  const db = new Kysely<Database>({ dialect: new GuardedDialect(opened.dialect, timeoutMs) });
  try {
    await migrateToLatest(db, opened.lock);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  if (opened.lock.dialect === 'postgres') {
    const probe = new ReadinessProbe(opened.lock.url);
    return {
      db,
      dialect: 'postgres',
      ready: (ms) => probe.check(ms),
      close: async () => {
        await probe.close();
        await db.destroy();
      },
    };
  }
  return {
    db,
    dialect: opened.lock.dialect,
    ready: (ms) => withDeadline(sql`select 1`.execute(db), ms),
    close: () => db.destroy(),
  };
}

function sqliteDialect(options: StorageOptions): { dialect: Dialect; lock: MigrationLock } {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, 'countersign.db');
  const database = new SqliteDatabase(file);
  // First: switching a fresh file to WAL takes a lock another starting process may hold.
  // Another process (the CLI creating a token) may hold the write lock for a moment.
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  database.pragma('foreign_keys = ON');
  return {
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
    lock: { dialect: 'sqlite', database },
  };
}

function postgresDialect(url: string, timeoutMs: number): Dialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Every wait is bounded (https://www.postgresql.org/docs/current/runtime-config-client.html):
    // a new connection, a statement, a row lock, and a transaction left idle by a stuck
    // caller (the server ends it and frees its locks). Each surfaces as storage_unavailable.
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    lock_timeout: timeoutMs,
    idle_in_transaction_session_timeout: timeoutMs * 2,
    // The client-side bound, for a server that stops answering altogether.
    query_timeout: timeoutMs * 2,
    // TCP keepalive: a peer that vanished (partition, VM gone) is noticed by the kernel and
    // its connection errors out, instead of a half-open socket holding a pool slot forever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'countersign',
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
  // A session the server ends while its client is checked out between two queries (an
  // administrator's pg_terminate_backend, a failover, idle_in_transaction_session_timeout)
  // emits 'error' on that client, which pg-pool listens for only while it is idle: without a
  // listener it would crash the process. The next query on it fails instead, and the pool
  // discards it when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new PostgresDialect({ pool });
}

/** Rejects with `storage_unavailable` if `work` has not settled within `ms`. */
async function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CountersignError('storage_unavailable', `no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
