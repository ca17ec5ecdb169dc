import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, indexedStore, startGateway, type TestGateway } from './harness.js';

// Issue 13: a group commit writes its batch's new requests in one INSERT per table on
// PostgreSQL, and through prepared statements on SQLite. Whatever the path, every request of
// a burst is stored once, with its reviewer groups and its two audit entries.

for (const dialect of await dialects()) {
  describe(`batched writes (${dialect})`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway({ dialect });
    });
    after(() => gw.close());

    test('a burst of allowed, pending and idempotent submissions is stored exactly once each', async () => {
      const agent = await gw.token('agent', 'exporter');
      const alice = await gw.token('user', 'alice');
      const bodies = Array.from({ length: 60 }, (_, i) => ({
        action: 'db.export',
        resource: `pg://prod/t${i}`,
        environment: 'production',
        params: { rows: i % 3 === 0 ? 50_000 : 10 },
        // Four of them share one key: one is created, the others replay it.
        ...(i % 15 === 1 ? { idempotency_key: 'burst-key', resource: 'pg://prod/same' } : {}),
      }));
      const answers = await Promise.all(
        bodies.map((body) => gw.call('POST', '/v1/actions', { token: agent, body })),
      );
      const keyed = answers.filter((_, i) => i % 15 === 1);
      assert.deepEqual(keyed.map((a) => a.status).sort(), [200, 200, 200, 201]);
      assert.equal(new Set(keyed.map((a) => a.body.id)).size, 1);
      const created = answers.filter((a) => a.status === 201);
      assert.equal(created.length, 57);
      for (const [i, a] of answers.entries()) {
        if (i % 15 === 1) continue;
        assert.equal(a.status, 201);
        assert.equal(a.body.status, i % 3 === 0 ? 'pending' : 'approved');
        const read = await gw.call('GET', `/v1/actions/${a.body.id}`, { token: agent });
        assert.equal(read.status, 200);
        assert.equal(read.body.status, a.body.status);
        if (a.body.status === 'approved') assert.equal(typeof read.body.grant.token, 'string');
      }
      // The pending ones reached their reviewers: their review groups were written.
      const inbox = await gw.call('GET', '/v1/actions?status=pending&limit=100', { token: alice });
      const pending = created.filter((a) => a.body.status === 'pending').map((a) => a.body.id);
      const listed = new Set(inbox.body.items.map((r: { id: string }) => r.id));
      for (const id of pending) assert.ok(listed.has(id), `${id} missing from the inbox`);
      // Two audit entries per created request, none for a replay.
      const rows = await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select(['request_id'])
        .where(
          'request_id',
          'in',
          created.map((a) => a.body.id as string),
        )
        .execute();
      assert.equal(rows.length, 2 * created.length);
    });
  });
}
