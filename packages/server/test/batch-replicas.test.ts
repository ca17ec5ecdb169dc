import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY, dropPgDatabase, pgDeadlocks, postgresAvailable, startGateway } from './harness.js';

/**
 * Batch decisions on two replicas of one PostgreSQL store (issue 16): a batch on one replica
 * races a single deny, or another batch over overlapping items, on the other. Every round
 * ends with each batch decided whole or not at all: never a partial batch, never a deadlock
 * (rows are locked in ascending id order by every writer).
 */
const RACE_POLICY = `${POLICY}  - id: reports
    match: { action: report.send }
    require_approval: { from: [data-owners] }
`;
const ROUNDS = 10;
if (await postgresAvailable()) {
  describe('batch decisions on two PostgreSQL replicas', () => {
    test('a batch racing a single deny, and two overlapping batches: all or nothing', async () => {
      const a = await startGateway({ dialect: 'postgres', policy: RACE_POLICY });
      const b = await startGateway({
        dialect: 'postgres',
        reuse: { dir: a.dir, databaseUrl: a.databaseUrl },
      });
      const databaseUrl = a.databaseUrl!;
      try {
        const agent = await a.token('agent', 'exporter');
        const alice = await a.token('user', 'alice');
        const frank = await a.token('user', 'frank');
        const submit = async (n: number) => {
          const out: Array<{ id: string; digest: string }> = [];
          for (let i = 0; i < n; i++) {
            const res = await a.call('POST', '/v1/actions', {
              token: agent,
              body: { action: 'report.send', resource: `mail://r/${i}`, params: { i } },
            });
            assert.equal(res.status, 201, JSON.stringify(res.body));
            out.push({ id: res.body.id as string, digest: res.body.digest as string });
          }
          return out;
        };
        const statuses = async (ids: readonly string[]) => {
          const rows = await a.gateway.storage.db
            .selectFrom('actions')
            .select(['id', 'status'])
            .where('id', 'in', [...ids])
            .execute();
          return ids.map((id) => rows.find((r) => r.id === id)?.status);
        };
        const votesBy = async (user: string, ids: readonly string[]) =>
          (
            await a.gateway.storage.db
              .selectFrom('votes')
              .select('action_id')
              .where('user_id', '=', user)
              .where('action_id', 'in', [...ids])
              .execute()
          ).length;

        const outcomes = { batch: 0, deny: 0, first: 0, second: 0 };
        for (let round = 0; round < ROUNDS; round++) {
          // A batch of six on replica a; frank denies one of them on replica b.
          const items = await submit(6);
          const target = items[round % items.length];
          const [batch, deny] = await Promise.all([
            a.call('POST', '/v1/batches/votes', {
              token: alice,
              body: { vote: 'approve', items },
            }),
            b.call('POST', `/v1/actions/${target.id}/votes`, {
              token: frank,
              body: { vote: 'deny' },
            }),
          ]);
          const ids = items.map((i) => i.id);
          if (batch.status === 200) {
            outcomes.batch++;
            assert.equal(deny.status, 409, JSON.stringify(deny.body));
            assert.equal(deny.body.code, 'already_decided');
            assert.deepEqual(
              await statuses(ids),
              ids.map(() => 'approved'),
            );
            assert.equal(await votesBy('alice', ids), 6);
          } else {
            outcomes.deny++;
            assert.equal(batch.status, 409, JSON.stringify(batch.body));
            assert.equal(batch.body.code, 'batch_changed');
            assert.equal(deny.status, 200, JSON.stringify(deny.body));
            assert.deepEqual(
              await statuses(ids),
              ids.map((id) => (id === target.id ? 'denied' : 'pending')),
            );
            assert.equal(await votesBy('alice', ids), 0);
          }

          // Two batches sharing two items, listed in opposite orders, one per replica.
          const more = await submit(6);
          const first = more.slice(0, 4);
          const second = more.slice(2).reverse();
          const [one, two] = await Promise.all([
            a.call('POST', '/v1/batches/votes', {
              token: alice,
              body: { vote: 'approve', items: first },
            }),
            b.call('POST', '/v1/batches/votes', {
              token: frank,
              body: { vote: 'deny', items: second },
            }),
          ]);
          assert.equal(
            [one.status, two.status].sort().join(),
            '200,409',
            `${JSON.stringify(one.body)} ${JSON.stringify(two.body)}`,
          );
          const all = more.map((i) => i.id);
          const got = await statuses(all);
          if (one.status === 200) {
            outcomes.first++;
            assert.deepEqual(got, [
              'approved',
              'approved',
              'approved',
              'approved',
              'pending',
              'pending',
            ]);
            assert.equal(await votesBy('frank', all), 0);
          } else {
            outcomes.second++;
            assert.deepEqual(got, ['pending', 'pending', 'denied', 'denied', 'denied', 'denied']);
            assert.equal(await votesBy('alice', all), 0);
          }
        }
        assert.equal(outcomes.batch + outcomes.deny, ROUNDS);
        assert.equal(outcomes.first + outcomes.second, ROUNDS);
      } finally {
        await b.close({ keep: true });
        await a.close({ keep: true });
      }
      try {
        assert.equal(await pgDeadlocks(databaseUrl), 0);
      } finally {
        await dropPgDatabase(databaseUrl);
      }
    });
  });
}
