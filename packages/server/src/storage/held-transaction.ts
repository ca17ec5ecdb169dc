import { AsyncLocalStorage } from 'node:async_hooks';
import type { DialectAdapter, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * A transaction this async context opened on one store. `trx` is set while the work runs;
 * `outer` is the transaction this one was opened inside, if any.
 */
interface Held {
  /** Which store: the adapter Kysely shares between a root handle and all its derivatives. */
  store: DialectAdapter;
  /** The open transaction (typed loosely: one store serves handles of several table sets). */
  trx: Kysely<unknown> | undefined;
  outer: Held | undefined;
}

const context = new AsyncLocalStorage<Held>();

/**
 * Runs `work` in a transaction on `db` and marks this async context as holding it, so that
 * a query on the root handle from inside `work` is refused at once (guarded-dialect.ts)
 * instead of waiting for the connection the transaction holds: on SQLite, Kysely has one
 * connection behind a mutex, and that wait never ends.
 *
 * Every transaction in the server opens through here.
 */
export function inTransaction<DB, T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  const held: Held = { store: storeOf(db), trx: undefined, outer: context.getStore() };
  return context.run(held, () =>
    db.transaction().execute(async (trx) => {
      held.trx = trx as unknown as Kysely<unknown>;
      try {
        return await work(trx);
      } finally {
        // Work started here that outlives the transaction (a fire-and-forget) may use the
        // root handle again once the connection is given back.
        held.trx = undefined;
      }
    }),
  );
}

/**
 * Runs `work` as if no transaction were open: for work started inside one that runs on its
 * own connections after it (the audit sequencer's drain, kicked by evidence queued in a
 * transaction), which the guard would otherwise refuse as a query from inside it.
 */
export function outsideTransactions<T>(work: () => T): T {
  return context.exit(work);
}

/**
 * The transaction this async context holds open on `db`'s store, if any: code that may run
 * inside one (the key ring's refresh) reads through it rather than through the root handle.
 */
export function heldTransaction(db: Kysely<Database>): Kysely<Database> | undefined {
  const store = storeOf(db);
  for (let h = context.getStore(); h !== undefined; h = h.outer) {
    if (h.store === store && h.trx !== undefined) return h.trx as unknown as Kysely<Database>;
  }
  return undefined;
}

/** Whether this async context holds an open transaction on the store behind `adapter`. */
export function holdsTransactionOn(adapter: DialectAdapter): boolean {
  for (let h = context.getStore(); h !== undefined; h = h.outer) {
    if (h.store === adapter && h.trx !== undefined) return true;
  }
  return false;
}

function storeOf<DB>(db: Kysely<DB>): DialectAdapter {
  return db.getExecutor().adapter;
}
