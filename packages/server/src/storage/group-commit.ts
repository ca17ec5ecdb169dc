import type { Kysely } from 'kysely';
import { CountersignError } from '@countersign/core';
import type { Database } from './schema.js';
import { holdsTransactionOn, inTransaction } from './held-transaction.js';

/**
 * What every unit of work in one transaction shares. `finish` hooks run once, after the last
 * unit and before the commit: the audit log appends the whole batch's evidence there, with one
 * read and one update of its head instead of one per unit.
 */
export interface TransactionScope {
  trx: Kysely<Database>;
  /**
   * `first`: the hook writes rows the others may refer to (the batch's new requests, written
   * in one statement per table): it runs before every hook registered without it.
   */
  beforeCommit(hook: () => Promise<void>, options?: { first?: boolean }): void;
  /**
   * Rows that join one write at the end of this transaction, whichever unit adds them: the
   * first call for `key` registers `write` (a `beforeCommit` hook, with `options`), and every
   * call adds its rows to the list `write` is given. One statement per batch, not per unit.
   */
  collect<T>(
    key: object,
    rows: readonly T[],
    write: (rows: T[]) => Promise<void>,
    options?: { first?: boolean },
  ): void;
  /**
   * The highest request id this transaction has locked so far (action-tx.ts `lock`): a later
   * lock on a lower id would break the ascending order that keeps transactions from
   * deadlocking, so it refuses to wait instead (NOWAIT) and the batch is retried unit by unit.
   */
  locks: { highest: string | undefined };
}

/**
 * Transactions and units of work this process has committed through group commits, for the
 * benchmarks (bench/cpu-floor.mjs measures its floor at the gateway's own batch size).
 */
export const groupCommitStats = { transactions: 0, units: 0 };

type Work<T> = (scope: TransactionScope) => Promise<T>;
interface Pending {
  work: Work<unknown>;
  /** The request row the unit will lock, when the caller knows it: the batch is sorted by it. */
  lockKey: string | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: writes that arrive while the previous batch is being written run together in
 * one transaction, so N concurrent requests cost one commit (one WAL append in SQLite, one
 * fsync in PostgreSQL) instead of N. Every caller still resolves only after its own write is
 * committed: nothing is acknowledged early. If the batch fails, each write is retried alone,
 * so one bad write never fails its neighbours.
 *
 * Two rules keep concurrent writers (other replicas, on PostgreSQL) from deadlocking:
 * - one flush at a time per process: a batch that arrives while another is being written
 *   waits for it (it becomes the next batch) instead of opening a second transaction that
 *   could lock the same rows in another order;
 * - a batch locks request rows in ascending id order: units that say which row they lock are
 *   run in that order (see `TransactionScope.locks` for the ones that do not).
 * The audit head is locked last, in the commit hooks, by every transaction alike.
 * PostgreSQL's explicit-locking guidance: "the best defense against deadlocks is generally to
 * avoid them by being certain that all applications using a database acquire locks on
 * multiple objects in a consistent order"
 * (https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-DEADLOCKS).
 */
export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled = false;
  #flushing = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 256,
  ) {}

  /** Runs `work` in the next batch; `lockKey` is the request id it locks, if known. */
  run<T>(work: Work<T>, lockKey?: string): Promise<T> {
    // A write queued from inside a batch's own transaction would wait for that batch, which
    // waits for it: refuse at once rather than hang.
    if (holdsTransactionOn(this.db.getExecutor().adapter)) {
      return Promise.reject(
        new CountersignError('internal', 'a write was started inside another write transaction'),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, lockKey, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled && !this.#flushing) {
        this.#scheduled = true;
        // setImmediate runs after this turn's I/O callbacks: every request that arrived in
        // this turn has queued its write by then.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    this.#flushing = true;
    try {
      // Whatever queues while a batch is written is picked up by this loop: never a second
      // flush alongside this one.
      while (this.#queue.length > 0) {
        const batch = inLockOrder(this.#queue.splice(0, this.maxBatch));
        if (batch.length === 1) {
          await this.#runAlone(batch[0]);
          continue;
        }
        let results: unknown[] = [];
        try {
          results = await this.#transaction(async (scope) => {
            const out: unknown[] = [];
            for (const item of batch) out.push(await item.work(scope));
            return out;
          });
        } catch {
          for (const item of batch) await this.#runAlone(item);
          continue;
        }
        groupCommitStats.transactions++;
        groupCommitStats.units += batch.length;
        batch.forEach((item, i) => item.resolve(results[i]));
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #runAlone(item: Pending): Promise<void> {
    try {
      const value = await this.#transaction((scope) => item.work(scope));
      groupCommitStats.transactions++;
      groupCommitStats.units++;
      item.resolve(value);
    } catch (e) {
      item.reject(e);
    }
  }

  #transaction<T>(body: (scope: TransactionScope) => Promise<T>): Promise<T> {
    return inTransaction(this.db, async (trx) => {
      const first: Array<() => Promise<void>> = [];
      const hooks: Array<() => Promise<void>> = [];
      const beforeCommit: TransactionScope['beforeCommit'] = (hook, options) =>
        (options?.first ? first : hooks).push(hook);
      const collected = new Map<object, unknown[]>();
      const value = await body({
        trx,
        beforeCommit,
        collect(key, rows, write, options) {
          let list = collected.get(key) as (typeof rows)[number][] | undefined;
          if (!list) {
            const fresh: (typeof rows)[number][] = [];
            collected.set(key, fresh);
            beforeCommit(() => write(fresh), options);
            list = fresh;
          }
          list.push(...rows);
        },
        locks: { highest: undefined },
      });
      for (const hook of first) await hook();
      for (const hook of hooks) await hook();
      return value;
    });
  }
}

/**
 * Units that lock no known row (submissions: they insert new rows) first, in arrival order;
 * then the rest by ascending request id. The sort is stable, so two writes to one request
 * keep their arrival order.
 */
function inLockOrder(batch: Pending[]): Pending[] {
  const free = batch.filter((p) => p.lockKey === undefined);
  const keyed = batch.filter((p) => p.lockKey !== undefined);
  keyed.sort((a, b) => compareIds(a.lockKey ?? '', b.lockKey ?? ''));
  return [...free, ...keyed];
}

/** Code-point order: every replica sorts the same way, whatever the database's collation. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
