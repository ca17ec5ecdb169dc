import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { inTransaction } from './held-transaction.js';

/**
 * What every unit of work in one transaction shares. `finish` hooks run once, after the last
 * unit and before the commit: the audit log appends the whole batch's evidence there, with one
 * read and one update of its head instead of one per unit.
 */
export interface TransactionScope {
  trx: Kysely<Database>;
  beforeCommit(hook: () => Promise<void>): void;
}

type Work<T> = (scope: TransactionScope) => Promise<T>;
interface Pending {
  work: Work<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: writes that arrive in the same event-loop turn run in one transaction, so N
 * concurrent requests cost one commit (one WAL append in SQLite, one fsync in PostgreSQL)
 * instead of N. Every caller still resolves only after its own write is committed: nothing
 * is acknowledged early. If the batch fails, each write is retried alone, so one bad write
 * never fails its neighbours.
 */
export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 256,
  ) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after this turn's I/O callbacks: every request that arrived in
        // this turn has queued its write by then.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch);
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
      batch.forEach((item, i) => item.resolve(results[i]));
    }
  }

  async #runAlone(item: Pending): Promise<void> {
    try {
      item.resolve(await this.#transaction((scope) => item.work(scope)));
    } catch (e) {
      item.reject(e);
    }
  }

  #transaction<T>(body: (scope: TransactionScope) => Promise<T>): Promise<T> {
    return inTransaction(this.db, async (trx) => {
      const hooks: Array<() => Promise<void>> = [];
      const value = await body({ trx, beforeCommit: (hook) => hooks.push(hook) });
      for (const hook of hooks) await hook();
      return value;
    });
  }
}
