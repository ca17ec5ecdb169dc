import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

type Work<T> = (trx: Kysely<Database>) => Promise<T>;
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
        await runAlone(this.db, batch[0]);
        continue;
      }
      const results: unknown[] = [];
      try {
        await this.db.transaction().execute(async (trx) => {
          for (const item of batch) results.push(await item.work(trx));
        });
      } catch {
        for (const item of batch) await runAlone(this.db, item);
        continue;
      }
      batch.forEach((item, i) => item.resolve(results[i]));
    }
  }
}

async function runAlone(db: Kysely<Database>, item: Pending): Promise<void> {
  try {
    item.resolve(await db.transaction().execute((trx) => item.work(trx)));
  } catch (e) {
    item.reject(e);
  }
}
