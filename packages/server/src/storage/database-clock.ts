import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * The database server's clock, in epoch milliseconds. With several replicas on one
 * PostgreSQL, deadlines are compared against this one clock, so a replica whose own clock
 * runs slow fires nothing late and one that runs fast fires nothing early.
 * `clock_timestamp()`, not `now()`: `now()` is frozen at the start of the transaction.
 * https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-CURRENT
 */
export function databaseClock(db: Kysely<Database>): () => Promise<number> {
  return async () => {
    const { rows } = await sql<{
      now: string | number;
    }>`select floor(extract(epoch from clock_timestamp()) * 1000)::bigint as now`.execute(db);
    const now = Number(rows[0]?.now);
    if (!Number.isSafeInteger(now)) throw new Error('the database returned no clock reading');
    return now;
  };
}

/**
 * The clock deadlines are compared against: the database's on PostgreSQL (one clock for all
 * replicas), unless a clock is injected (tests drive time); on SQLite the gateway is the only
 * clock.
 */
export function deadlineClock(
  storage: { db: Kysely<Database>; dialect: 'sqlite' | 'postgres' },
  injected: (() => number) | undefined,
): () => Promise<number> {
  if (storage.dialect === 'postgres' && !injected) return databaseClock(storage.db);
  const now = injected ?? Date.now;
  return () => Promise.resolve(now());
}
