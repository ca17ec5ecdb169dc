import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { OutboxRepository } from '../src/storage/outbox-repository.js';
import type { Database } from '../src/storage/schema.js';
import { dialects, startGateway, type TestGateway } from './harness.js';
import { SECRET, startReceiver, until, type Receiver } from './webhooks-receiver.js';

const BACKLOG = 100_000;
const OPS = 'webhook:ops';

/**
 * Inserts `n` undelivered, due outbox rows for `target` in one statement (a recursive CTE
 * both dialects understand), each for its own request: an endpoint that fell far behind.
 */
async function bulkOutbox(
  db: Kysely<Database>,
  target: string,
  prefix: string,
  n: number,
  dueAt: number,
): Promise<void> {
  await sql`
    with recursive s(i) as (select 1 union all select i + 1 from s where i < ${n})
    insert into outbox (id, action_id, target, event, payload, attempts, next_attempt_at,
                        created_at, delivered_at, failed_at, last_error)
    select ${prefix} || i, ${prefix} || 'act_' || i, ${target}, 'action.requested', '{}', 0,
           ${dueAt}, ${dueAt}, null, null, null
    from s`.execute(db);
}

/** The claim's plan, as text: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL. */
async function claimPlan(gw: TestGateway, dialect: string, now: number): Promise<string> {
  const db = gw.gateway.storage.db;
  const q = new OutboxRepository(db).claimQuery(OPS, now, 16, now + 60_000);
  const prefix = dialect === 'postgres' ? 'explain (format text) ' : 'explain query plan ';
  const { rows } = await db.executeQuery(CompiledQuery.raw(prefix + q.sql, [...q.parameters]));
  return rows.map((r) => Object.values(r as Record<string, unknown>).join(' ')).join('\n');
}

for (const dialect of await dialects()) {
  describe(`timers and the outbox as queues, with a backlog of ${BACKLOG} rows (${dialect})`, () => {
    let receiver: Receiver;
    let gw: TestGateway;
    let clock = Date.now();

    before(async () => {
      // A receiver that never answers: every delivery slot stays busy until its timeout.
      receiver = await startReceiver(() => 'hang');
      gw = await startGateway({
        dialect,
        tickMs: 60_000, // only the first tick and the ticks this test drives
        now: () => clock,
        webhooks: {
          endpoints: [{ name: 'ops', url: `${receiver.url}/ops`, secret: SECRET }],
          max_attempts: 3,
          timeout_ms: 30_000,
          backoff: { initial_ms: 100, max_ms: 1000 },
        },
      });
      await bulkOutbox(gw.gateway.storage.db, OPS, 'dlv_bulk_', BACKLOG, clock - 1000);
      if (dialect === 'postgres') await sql`analyze outbox`.execute(gw.gateway.storage.db);
    });
    after(async () => {
      receiver.release();
      await gw.close();
      await receiver.close();
    });

    test('the claim reads the partial index in claim order, not the backlog', async () => {
      const plan = await claimPlan(gw, dialect, clock);
      assert.match(plan, /outbox_claim/, plan);
      if (dialect === 'postgres') {
        assert.doesNotMatch(plan, /Seq Scan on outbox/, plan);
        assert.doesNotMatch(plan, /Sort/, plan);
        assert.match(plan, /LockRows/, plan);
      } else {
        assert.doesNotMatch(plan, /SCAN o\b(?! USING)/, plan);
        assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
      }
    });

    test('expiry and escalation still fire within one tick while deliveries hang', async () => {
      const agent = await gw.token('agent', 'deployer');
      const exporter = await gw.token('agent', 'exporter');
      const restart = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: { action: 'k8s.rollout.restart', resource: 'k8s://prod/api' },
      });
      const restore = await gw.call('POST', '/v1/actions', {
        token: exporter,
        body: { action: 'db.restore', resource: 'db://prod/main' },
      });
      assert.equal(restart.body.status, 'pending');
      assert.equal(restore.body.status, 'pending');
      // Fill every delivery slot with a hanging request, as a slow endpoint would.
      await gw.gateway.notifications.deliverDue();
      await until(() => Promise.resolve(receiver.received.length >= 16), 10_000, 'slots full');

      clock += 3_000; // past the restart's 2 s timeout and the restore's 1 s escalation
      await gw.gateway.scheduler.tick();
      const user = await gw.token('user', 'root');
      const a = await gw.call('GET', `/v1/actions/${restart.body.id}`, { token: user });
      const b = await gw.call('GET', `/v1/actions/${restore.body.id}`, { token: user });
      assert.equal(a.body.status, 'expired');
      assert.deepEqual(b.body.escalated_rules, ['restore']);
    });

    test('claimers at once take disjoint rows, and each a full batch (SKIP LOCKED)', async () => {
      // Rows for a target no gateway delivers, so only this test's claimers touch them.
      const target = 'test:claims';
      const n = 2_000;
      await bulkOutbox(gw.gateway.storage.db, target, 'dlv_race_', n, clock - 1000);
      // On PostgreSQL a second gateway on the same database: another replica's pool.
      const other =
        dialect === 'postgres'
          ? await startGateway({
              dialect,
              tickMs: 60_000,
              now: () => clock,
              reuse: { dir: gw.dir, databaseUrl: gw.databaseUrl },
            })
          : undefined;
      try {
        const stores = [gw, other ?? gw].map((g) => new OutboxRepository(g.gateway.storage.db));
        const claimed = new Set<string>();
        let total = 0;
        for (let round = 0; round < 10; round++) {
          const batches = await Promise.all(
            stores.map((s) => s.claim(target, clock, 100, clock + 60_000)),
          );
          for (const batch of batches) {
            // Without SKIP LOCKED both claimers read the same oldest rows and one loses them.
            assert.equal(batch.length, 100, 'a full batch for every claimer');
            for (const row of batch) claimed.add(row.id);
            total += batch.length;
          }
        }
        assert.equal(total, n, 'every row claimed');
        assert.equal(claimed.size, n, 'no row claimed twice');
        // Leased: nothing left to claim until the lease ends; then the rows come back.
        assert.equal((await stores[0].claim(target, clock, 100, clock + 60_000)).length, 0);
        const afterLease = await stores[1].claim(target, clock + 60_000, 10, clock + 120_000);
        assert.equal(afterLease.length, 10, 'a crashed claimer’s rows are claimed again');
      } finally {
        await other?.close({ keep: true });
      }
    });
  });
}
