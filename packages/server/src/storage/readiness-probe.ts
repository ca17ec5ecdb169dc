import pg from 'pg';
import { CountersignError } from '@countersign/core';

/**
 * `/readyz` on PostgreSQL: `select 1` on a connection of its own, never one from the shared
 * pool. A pool whose connections all wait on a lock (another replica stalled mid-transaction)
 * must not make every replica look dead to the load balancer: readiness asks "does the
 * database answer this replica?", and the writes' own lock_timeout bounds the rest.
 * The connection is opened on the first probe and replaced after any failure or timeout
 * (a probe that timed out may have left it mid-query).
 */
export class ReadinessProbe {
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;

  constructor(private readonly url: string) {}

  async check(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CountersignError('storage_unavailable', `no answer within ${ms} ms`)),
        ms,
      );
    });
    try {
      await Promise.race([this.#query(ms), deadline]);
    } catch (e) {
      this.#drop();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async #query(ms: number): Promise<void> {
    const client = await this.#connect(ms);
    await client.query('select 1');
  }

  #connect(ms: number): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.url,
        connectionTimeoutMillis: ms,
        statement_timeout: ms,
        query_timeout: ms,
        keepAlive: true,
        application_name: 'countersign-readyz',
      });
      // A connection the server ends (restart, failover) is replaced at the next probe.
      client.on('error', () => this.#drop());
      try {
        await client.connect();
      } catch (e) {
        void client.end().catch(() => undefined);
        throw e;
      }
      this.#client = client;
      return client;
    })().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    void client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
