import pg from 'pg';
import { retryDelay } from '../notify/backoff.js';
import { CHANGE_CHANNEL, decodeChanges, encodeChanges, type ChangeFeed } from './change-feed.js';

/** Reconnect backoff of the listening connection: 100 ms doubling to 5 s, with jitter. */
const RECONNECT = { initialMs: 100, maxMs: 5_000 };

export interface PgChangeFeedOptions {
  /** Told when the listening connection fails; it reconnects on its own. */
  onError?: (e: unknown) => void;
}

/**
 * One dedicated session per process doing `LISTEN countersign_actions`. It must be a real
 * session: through PgBouncer in transaction mode a LISTEN is lost when the server connection
 * goes back to the pool (https://www.pgbouncer.org/features.html), so point this at PostgreSQL
 * or a session-mode pool. When the connection drops it reconnects with backoff and, once it
 * listens again, tells `onResync` subscribers to re-read what they wait on.
 */
export class PgChangeFeed implements ChangeFeed {
  readonly #changes = new Set<(ids: string[]) => void>();
  readonly #resyncs = new Set<() => void>();
  #client: pg.Client | undefined;
  #listening = false;
  #closed = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  /** Whose echo to skip: set by `ignoreOrigin` (this process's bus). */
  #self = '';

  constructor(
    private readonly url: string,
    private readonly options: PgChangeFeedOptions = {},
  ) {}

  /** Skips notifications sent by `origin` (this process already published them). */
  ignoreOrigin(origin: string): void {
    this.#self = origin;
  }

  /** Connects and listens; resolves after the first attempt, retrying in the background. */
  async start(): Promise<void> {
    await this.#connect();
  }

  onChange(listener: (ids: string[]) => void): void {
    this.#changes.add(listener);
  }

  onResync(listener: () => void): void {
    this.#resyncs.add(listener);
  }

  get listening(): boolean {
    return this.#listening;
  }

  async announce(origin: string, ids: readonly string[]): Promise<void> {
    const client = this.#client;
    if (!client || !this.#listening || ids.length === 0) return; // the safety poll covers it
    for (const payload of encodeChanges(origin, ids))
      await client.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, payload]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    // keepAlive: a peer that vanished (partition, VM stall) is noticed by TCP, and we reconnect.
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    client.on('notification', (n) => {
      if (n.channel !== CHANGE_CHANNEL || n.payload === undefined) return;
      const { origin, ids } = decodeChanges(n.payload);
      if (origin === this.#self || ids.length === 0) return;
      for (const l of this.#changes) l(ids);
    });
    const lost = (e?: unknown) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#listening = false;
      if (e) this.options.onError?.(e);
      void client.end().catch(() => undefined);
      this.#schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (e) {
      lost(e);
      return;
    }
    if (this.#client !== client || this.#closed) return;
    const reconnected = this.#attempt > 0;
    this.#attempt = 0;
    this.#listening = true;
    // Whatever committed while we were not listening was not heard: re-read it now.
    if (reconnected) for (const l of this.#resyncs) l();
  }

  #schedule(): void {
    if (this.#closed || this.#retry) return;
    this.#attempt += 1;
    this.#retry = setTimeout(
      () => {
        this.#retry = undefined;
        void this.#connect();
      },
      retryDelay(this.#attempt, RECONNECT),
    );
    this.#retry.unref();
  }
}
