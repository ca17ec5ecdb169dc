import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dropPgDatabase,
  pgDeadlocks,
  postgresAvailable,
  startGateway,
  type TestGateway,
} from './harness.js';

/**
 * Two reviewers vote on the same 20 requests in opposite order, all at once, five rounds:
 * on two replicas of one PostgreSQL store, and on one replica. Group commit batches each
 * reviewer's votes; before batches locked rows in arrival order (and two flushes could
 * overlap in one process), so the two batches deadlocked and PostgreSQL broke the cycle after
 * deadlock_timeout (1 s). Now rows are locked in id order and flushes never overlap: no
 * deadlock at all, and every request ends approved with both votes counted.
 */
const LARGE_EXPORT = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 50_000 },
};

if (await postgresAvailable()) {
  describe('opposite-order votes on PostgreSQL', () => {
    /** Five rounds of 20 requests; returns how many deadlocks the store saw. */
    async function rounds(replicas: 1 | 2): Promise<number> {
      const a = await startGateway({ dialect: 'postgres' });
      const b =
        replicas === 1
          ? a
          : await startGateway({
              dialect: 'postgres',
              reuse: { dir: a.dir, databaseUrl: a.databaseUrl },
            });
      const databaseUrl = a.databaseUrl!;
      try {
        const agent = await a.token('agent', 'exporter');
        // Two data owners; bob owns the exporter agent, so he may not review its requests.
        const alice = await a.token('user', 'alice');
        const frank = await a.token('user', 'frank');
        for (let round = 0; round < 5; round++) {
          const ids: string[] = [];
          for (let i = 0; i < 20; i++) {
            const res = await a.call('POST', '/v1/actions', { token: agent, body: LARGE_EXPORT });
            assert.equal(res.status, 201, JSON.stringify(res.body));
            assert.equal(res.body.status, 'pending');
            ids.push(res.body.id as string);
          }
          const vote = (gw: TestGateway, token: string, id: string) =>
            gw.call('POST', `/v1/actions/${id}/votes`, { token, body: { vote: 'approve' } });
          const results = await Promise.all([
            ...ids.map((id) => vote(a, alice, id)),
            ...[...ids].reverse().map((id) => vote(b, frank, id)),
          ]);
          for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
          for (const id of ids) {
            const read = await a.call('GET', `/v1/actions/${id}`, { token: agent });
            assert.equal(read.body.status, 'approved', id);
            const counted = await a.gateway.storage.db
              .selectFrom('votes')
              .select('user_id')
              .where('action_id', '=', id)
              .where('outcome', '=', 'counted')
              .orderBy('user_id')
              .execute();
            assert.deepEqual(
              counted.map((v) => v.user_id),
              ['alice', 'frank'],
              id,
            );
          }
        }
      } finally {
        if (b !== a) await b.close({ keep: true });
        await a.close({ keep: true });
      }
      try {
        return await pgDeadlocks(databaseUrl);
      } finally {
        await dropPgDatabase(databaseUrl);
      }
    }

    test('two replicas: no deadlock, both votes counted on every request', async () => {
      assert.equal(await rounds(2), 0);
    });
    test('one replica: no deadlock, both votes counted on every request', async () => {
      assert.equal(await rounds(1), 0);
    });
  });
}
