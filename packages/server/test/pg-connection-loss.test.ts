import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';

/**
 * PostgreSQL ends a pool connection: the session of a replica that was frozen mid-transaction
 * (idle_in_transaction_session_timeout), pg_terminate_backend, a failover. The gateway used
 * to crash on the unhandled 'error' event of the pg client (found by the SIGSTOP test of
 * replicas.test.ts: the frozen replica died when it was resumed); now the broken connection
 * fails the work it held (storage_unavailable), the pool replaces it, and the gateway goes on.
 */
describe(
  'pool connections ended by the server (postgres)',
  {
    skip: !(await postgresAvailable()),
  },
  () => {
    let gw: TestGateway;
    let admin: pg.Client;
    const body = { action: 'db.export', resource: 'pg://prod', params: { rows: 5 } };
    const terminate = async (state: string) => {
      const { rows } = await admin.query<{ n: string }>(
        `select count(pg_terminate_backend(pid)) as n from pg_stat_activity
        where datname = current_database() and application_name = 'countersign' and state = $1`,
        [state],
      );
      return Number(rows[0]?.n ?? 0);
    };

    before(async () => {
      gw = await startGateway({ dialect: 'postgres' });
      admin = new pg.Client({ connectionString: gw.databaseUrl });
      await admin.connect();
    });
    after(async () => {
      await admin.end();
      await gw.close();
    });

    test('idle pool connections ended: the next requests succeed', async () => {
      const agent = await gw.token('agent', 'exporter');
      const first = await gw.call('POST', '/v1/actions', { token: agent, body });
      assert.equal(first.status, 201);
      assert.ok((await terminate('idle')) > 0);
      await new Promise((r) => setTimeout(r, 200)); // the clients hear of it
      for (let i = 0; i < 3; i++) {
        const r = await gw.call('POST', '/v1/actions', { token: agent, body });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
    });

    test('a connection ended between two statements of a transaction: that work fails, the rest goes on', async () => {
      const agent = await gw.token('agent', 'exporter');
      const held = gw.gateway.storage.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // Ended while idle in this transaction, as a frozen replica's session is.
        assert.equal(await terminate('idle in transaction'), 1);
        await new Promise((r) => setTimeout(r, 200));
        await sql`select 1`.execute(trx);
      });
      await assert.rejects(held);
      const r = await gw.call('POST', '/v1/actions', { token: agent, body });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal((await gw.call('GET', '/readyz')).status, 200);
    });
  },
);
