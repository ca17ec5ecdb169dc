import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';

/**
 * A replica SIGSTOPped for longer than idle_in_transaction_session_timeout comes back to find
 * its open transaction's session ended by the server. Found by bench/replicas.mjs: the ended
 * connection, checked out with no query running, emitted an 'error' nobody listened to and the
 * replica crashed on SIGCONT. Here the server ends a checked-out session between two queries:
 * the process lives (an unheard 'error' would end this test process), the next query on that
 * connection fails, and the pool serves the next caller from a fresh connection.
 */
describe(
  'a pool connection ended by the server (postgres)',
  {
    skip: !(await postgresAvailable()),
  },
  () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway({ dialect: 'postgres' });
    });
    after(() => gw.close());

    test('ended between two queries: that caller fails, the process and the pool carry on', async () => {
      const admin = new pg.Client({ connectionString: gw.databaseUrl });
      await admin.connect();
      try {
        const failed = await gw.gateway.storage.db.connection().execute(async (conn) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
          await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
          // No query running on it while the termination arrives, as in a stalled replica.
          await new Promise((r) => setTimeout(r, 500));
          return sql`select 1`.execute(conn).then(
            () => false,
            () => true,
          );
        });
        assert.equal(failed, true, 'a query on the ended connection fails');
        const again = await sql<{ one: number }>`select 1 as one`.execute(gw.gateway.storage.db);
        assert.equal(again.rows[0].one, 1);
        const ready = await gw.call('GET', '/readyz');
        assert.equal(ready.status, 200);
      } finally {
        await admin.end();
      }
    });
  },
);
