import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
  CompiledQuery,
} from 'kysely';
import { CountersignError } from '@countersign/core';
import { holdsTransactionOn } from './held-transaction.js';
import { FifoTurns } from './fifo-turns.js';

/**
 * Statements this process has sent to its stores (queries, and each BEGIN, COMMIT and
 * ROLLBACK), for the benchmarks: statements per request, round trips on PostgreSQL.
 */
export const storeStats = { statements: 0 };

/**
 * Wraps a Kysely dialect so that no store call can wait forever:
 *
 * - taking a connection while this async context holds an open transaction on the same store
 *   is refused at once with `internal` (on SQLite that wait is a deadlock: Kysely has one
 *   connection, and the transaction that holds it is waiting for us);
 * - taking a connection gives up after `timeoutMs` with `storage_unavailable` (503), and a
 *   connection that arrives after we gave up is handed straight back;
 * - the database's own timeouts (PostgreSQL statement/lock/idle-in-transaction timeouts,
 *   SQLite's busy timeout) surface as `storage_unavailable` too.
 */
export class GuardedDialect implements Dialect {
  #adapter: DialectAdapter | undefined;

  /**
   * `singleConnection`: the driver has one connection (SQLite); callers take turns at it in
   * arrival order (fifo-turns.ts) instead of all waking at Kysely's mutex on every release.
   */
  constructor(
    private readonly inner: Dialect,
    private readonly timeoutMs: number,
    private readonly singleConnection = false,
  ) {}

  createAdapter(): DialectAdapter {
    return this.#store();
  }

  createDriver(): Driver {
    return new GuardedDriver(
      this.inner.createDriver(),
      this.#store(),
      this.timeoutMs,
      this.singleConnection ? new FifoTurns() : undefined,
    );
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own Dialect signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }

  /** One adapter per store: held-transaction.ts uses it to tell stores apart. */
  #store(): DialectAdapter {
    this.#adapter ??= this.inner.createAdapter();
    return this.#adapter;
  }
}

class GuardedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly store: DialectAdapter,
    private readonly timeoutMs: number,
    private readonly turns: FifoTurns | undefined,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (holdsTransactionOn(this.store)) {
      throw new CountersignError(
        'internal',
        'a query on the root store handle from inside an open transaction: it would wait for the connection that transaction holds; use the transaction handle',
      );
    }
    const acquiring = this.#acquire();
    let timer: NodeJS.Timeout | undefined;
    let gaveUp = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        reject(
          new CountersignError(
            'storage_unavailable',
            `the store did not give a connection within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
    });
    // Once we have given up, whoever hands the connection over late must hand it back, or
    // SQLite's single connection would stay taken for good.
    acquiring.then(
      (c) => (gaveUp ? void this.releaseConnection(c).catch(() => undefined) : undefined),
      () => undefined,
    );
    try {
      const connection = await Promise.race([acquiring.catch(unavailable), timeout]);
      return new GuardedConnection(connection);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The inner driver's connection, after this caller's turn when there is one connection. */
  async #acquire(): Promise<DatabaseConnection> {
    const turns = this.turns;
    if (turns === undefined) return this.inner.acquireConnection();
    await turns.take();
    try {
      return await this.inner.acquireConnection();
    } catch (e) {
      turns.give();
      throw e;
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    storeStats.statements++;
    return this.inner.beginTransaction(unwrap(connection), settings).catch(unavailable);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    storeStats.statements++;
    return this.inner.commitTransaction(unwrap(connection)).catch(unavailable);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    storeStats.statements++;
    return this.inner.rollbackTransaction(unwrap(connection)).catch(unavailable);
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (this.inner.savepoint === undefined) throw noSavepoints();
    return this.inner.savepoint(unwrap(connection), name, compile);
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (this.inner.rollbackToSavepoint === undefined) throw noSavepoints();
    return this.inner.rollbackToSavepoint(unwrap(connection), name, compile);
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (this.inner.releaseSavepoint === undefined) throw noSavepoints();
    return this.inner.releaseSavepoint(unwrap(connection), name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.releaseConnection(unwrap(connection));
    } finally {
      this.turns?.give();
    }
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

class GuardedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    storeStats.statements++;
    return this.inner.executeQuery<R>(query).catch(unavailable);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof GuardedConnection ? connection.inner : connection;
}

function noSavepoints(): CountersignError {
  return new CountersignError('internal', 'the driver has no savepoints');
}

/**
 * PostgreSQL SQLSTATEs that mean "the store did not answer in time or went away" (Appendix A
 * of the PostgreSQL manual): 57014 statement_timeout, 55P03 lock_timeout, 25P03
 * idle_in_transaction_session_timeout, 57P0x shutdown, class 08 connection exceptions, 53300
 * too many connections. SQLite: SQLITE_BUSY (busy_timeout ran out) and SQLITE_LOCKED.
 */
const UNAVAILABLE = /^(57014|55P03|25P03|57P0[1-3]|08...|53300|SQLITE_BUSY.*|SQLITE_LOCKED.*)$/;

/** Rethrows a timeout or lost connection as `storage_unavailable`; anything else unchanged. */
export function unavailable(e: unknown): never {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (
    (typeof code === 'string' && UNAVAILABLE.test(code)) ||
    // node-postgres' own client-side timeouts and dropped connections carry no SQLSTATE.
    (code === undefined && /timeout|Connection terminated/i.test(message))
  ) {
    throw new CountersignError('storage_unavailable', `the store did not answer: ${message}`);
  }
  throw e;
}
