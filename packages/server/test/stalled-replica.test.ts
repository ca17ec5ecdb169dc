import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { READY_TIMEOUT_MS } from '../src/gateway.js';
import { STORE_TIMEOUT_MS } from '../src/storage/open-database.js';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';

/**
 * A replica that stalls mid-transaction (GC pause, SIGSTOP, partition) while holding the
 * audit head: simulated by a session that BEGINs, locks the head and never commits. The other
 * replicas stay ready (/readyz on its own connection answers within its deadline while every
 * pool connection waits on the lock), writers get 503 storage_unavailable after lock_timeout
 * instead of hanging, and once the server ends the stalled session
 * (idle_in_transaction_session_timeout) writes succeed again.
 *
 * Since the audit sequencer (audit-sequencer.test.ts), no request path locks the head: only
 * the sequencer waits on it, and the burst commits at once. The bounds below still hold.
 */
if (await postgresAvailable()) {
  describe('a replica stalled mid-transaction (postgres)', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway({ dialect: 'postgres' });
    });
    after(() => gw.close());

    test('others stay ready, writers fail in bounded time, and recover when it is ended', async () => {
      const agent = await gw.token('agent', 'exporter');
      const body = { action: 'db.export', resource: 'pg://prod', params: { rows: 5 } };
      const stalled = new pg.Client({ connectionString: gw.databaseUrl });
      await stalled.connect();
      stalled.on('error', () => undefined); // the server ends this session: expected
      // What a replica's pool sets (open-database.ts), shortened so the test is quick.
      await stalled.query(
        `set idle_in_transaction_session_timeout = '${STORE_TIMEOUT_MS + 1500}ms'`,
      );
      await stalled.query('begin');
      await stalled.query('select * from audit_head where id = 1 for update');
      const stalledAt = Date.now();

      // A burst larger than the pool: every pool connection ends up waiting on the head.
      const burst = Array.from({ length: 30 }, () =>
        gw.call('POST', '/v1/actions', { token: agent, body }),
      );
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      const ready = await gw.call('GET', '/readyz');
      assert.ok(Date.now() - started <= READY_TIMEOUT_MS + 200, `${Date.now() - started} ms`);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));

      const results = await Promise.all(burst);
      for (const r of results) {
        // Committed (after the stalled session was ended) or refused as unavailable: never a
        // hang, never a 500.
        assert.ok(
          r.status === 201 || (r.status === 503 && r.body.code === 'storage_unavailable'),
          `${r.status} ${JSON.stringify(r.body)}`,
        );
      }
      // Bounded: by the stalled session's end (a batch whose lock wait hit lock_timeout is
      // retried unit by unit, and those find the lock gone), never by the stall itself.
      assert.ok(
        Date.now() - stalledAt < STORE_TIMEOUT_MS * 3 + 1500,
        `the burst took ${Date.now() - stalledAt} ms`,
      );

      // The server ends the stalled session; its lock goes with it.
      const deadline = stalledAt + STORE_TIMEOUT_MS + 1500 + 2_000;
      while (Date.now() < deadline) {
        const ok = await gw.call('POST', '/v1/actions', { token: agent, body });
        if (ok.status === 201) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const after = await gw.call('POST', '/v1/actions', { token: agent, body });
      assert.equal(after.status, 201, JSON.stringify(after.body));
      await stalled.end().catch(() => undefined);
    });
  });
}
