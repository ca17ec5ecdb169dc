import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersignError } from '@countersign/core';
import { KEY_REFRESH_MS } from '../src/grants/key-ring.js';
import { inTransaction } from '../src/storage/held-transaction.js';
import { ActionRepository } from '../src/storage/action-repository.js';
import { STORE_TIMEOUT_MS } from '../src/storage/open-database.js';
import { dialects, startGateway, type TestGateway } from './harness.js';

// Defect 1 of issue 12: the vote that completed a quorum hung the SQLite gateway for good once
// the signing-key cache was older than KEY_REFRESH_MS. These tests hold the store the way
// that bug did and assert that every caller gets an answer in bounded time.

const restore = { action: 'db.restore', resource: 'pg://prod/orders', params: { to: 'yesterday' } };

/** Takes every connection the store has and keeps it until `release` is called. */
function holdStore(gw: TestGateway, connections: number): () => void {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  for (let i = 0; i < connections; i++) {
    void gw.gateway.storage.db.connection().execute(() => released);
  }
  return release;
}

for (const dialect of await dialects()) {
  describe(`store safety (${dialect})`, () => {
    let gw: TestGateway;
    let clock = Date.now();
    before(async () => {
      gw = await startGateway({ dialect, now: () => clock });
    });
    after(() => gw.close());

    test('the approving vote answers with the grant after the key cache has gone stale', async () => {
      const agent = await gw.token('agent', 'exporter');
      const alice = await gw.token('user', 'alice');
      const submitted = await gw.call('POST', '/v1/actions', { token: agent, body: restore });
      assert.equal(submitted.status, 201);
      assert.equal(submitted.body.status, 'pending');
      clock += KEY_REFRESH_MS + 5_000;
      const res = await fetch(`${gw.url}/v1/actions/${submitted.body.id}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vote: 'approve' }),
        signal: AbortSignal.timeout(8_000),
      });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { status: string }).status, 'approved');
      // The requesting agent gets the grant, and the store still answers afterwards.
      const after = await gw.call('GET', `/v1/actions/${submitted.body.id}`, { token: agent });
      assert.equal(after.status, 200);
      assert.match(after.body.grant?.token ?? '', /^ey/);
    });

    test('a root-handle query inside an open transaction fails at once instead of waiting', async () => {
      const db = gw.gateway.storage.db;
      const started = Date.now();
      await assert.rejects(
        inTransaction(db, () => db.selectFrom('actions').select('id').execute()),
        (e: unknown) => e instanceof CountersignError && e.code === 'internal',
      );
      // Group-committed writes (every request change) are held to the same rule.
      const repo = new ActionRepository(db, gw.gateway.storage.dialect, gw.gateway.audit);
      await assert.rejects(
        repo.write(() => repo.findById('act_none')),
        (e: unknown) => e instanceof CountersignError && e.code === 'internal',
      );
      // Nested transactions too: they would take a second connection.
      await assert.rejects(
        inTransaction(db, () => inTransaction(db, async () => 1)),
        (e: unknown) => e instanceof CountersignError && e.code === 'internal',
      );
      assert.ok(Date.now() - started < 1_000, 'refused at once');
      // Work the transaction starts and leaves running may use the store once it committed.
      let later: Promise<unknown> | undefined;
      await inTransaction(db, async () => {
        later = new Promise((r) => setTimeout(r, 50)).then(() =>
          db.selectFrom('actions').select('id').execute(),
        );
      });
      await later;
    });

    test('with the store stuck, /readyz answers 503 within 2 s and API calls 503 in bounded time', async () => {
      const agent = await gw.token('agent', 'exporter');
      const release = holdStore(gw, dialect === 'sqlite' ? 1 : 10);
      try {
        let started = Date.now();
        const ready = await gw.call('GET', '/readyz');
        assert.ok(Date.now() - started < 2_000, `readyz took ${Date.now() - started} ms`);
        if (dialect === 'postgres') {
          // The database answers on readiness's own connection: a busy pool is not "down".
          assert.equal(ready.status, 200, JSON.stringify(ready.body));
        } else {
          assert.equal(ready.status, 503);
          assert.match(ready.headers.get('content-type') ?? '', /application\/problem\+json/);
          assert.equal(ready.body.code, 'storage_unavailable');
        }
        started = Date.now();
        const res = await gw.call('POST', '/v1/actions', { token: agent, body: restore });
        assert.ok(Date.now() - started < STORE_TIMEOUT_MS * 2 + 1_000);
        assert.equal(res.status, 503, JSON.stringify(res.body));
        assert.equal(res.body.code, 'storage_unavailable');
      } finally {
        release();
      }
      // Once the store answers again, so does the gateway.
      assert.equal((await gw.call('GET', '/readyz')).status, 200);
      assert.equal(
        (await gw.call('POST', '/v1/actions', { token: agent, body: restore })).status,
        201,
      );
    });
  });
}
