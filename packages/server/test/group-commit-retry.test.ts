import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { ActionRepository } from '../src/storage/action-repository.js';
import type { ActionTx } from '../src/storage/action-tx.js';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';

/**
 * The fail-fast path of group commit (storage/group-commit.ts) on PostgreSQL: a batch locks
 * request rows in ascending id order; a unit that locks a lower id than one its batch already
 * holds (a unit that did not declare its row, or after a timer's claim) does not wait (NOWAIT),
 * so it can never be half of a deadlock cycle: the batch rolls back and each unit is retried
 * alone, and every unit still commits. Another session (as another replica would) holds the
 * lower row meanwhile.
 */
const RESTORE = { action: 'db.restore', resource: 'pg://prod/customers', params: {} };

describe(
  'group commit: out-of-order locks fail fast and are retried alone (postgres)',
  {
    skip: !(await postgresAvailable()),
  },
  () => {
    let gw: TestGateway;
    let other: pg.Client;
    let repo: ActionRepository;
    let low: string;
    let high: string;

    before(async () => {
      // No scheduler ticks: the gateway's own timers stay out of these batches.
      gw = await startGateway({ dialect: 'postgres', tickMs: 600_000 });
      const agent = await gw.token('agent', 'exporter');
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await gw.call('POST', '/v1/actions', { token: agent, body: RESTORE });
        assert.equal(r.body.status, 'pending');
        ids.push(r.body.id as string);
      }
      [low, high] = ids.sort() as [string, string];
      // A second writer on the same store, with its own group commit (another instance).
      repo = new ActionRepository(gw.gateway.storage.db, 'postgres', gw.gateway.audit);
      other = new pg.Client({ connectionString: gw.databaseUrl });
      await other.connect();
    });
    after(async () => {
      await other.end();
      await gw.close();
    });

    /**
     * Runs `first` (no declared row) and a unit locking `low` (declared) in one batch while
     * another session holds `low`; returns the errors the `low` unit saw, once both committed.
     */
    async function race(first: (tx: ActionTx) => Promise<unknown>) {
      await other.query('begin');
      await other.query('select id from actions where id = $1 for update', [low]);
      const seen: string[] = [];
      let firstRuns = 0;
      // Queued in the same turn: one batch, `first` before the declared unit.
      const one = repo.write(async (tx) => {
        firstRuns++;
        return first(tx);
      });
      const two = repo.write(async (tx) => {
        try {
          return (await tx.lock(low))?.id;
        } catch (e) {
          seen.push((e as Error).message);
          throw e;
        }
      }, low);
      // `first` commits while `low` is still held elsewhere: it did not wait behind it.
      await one;
      await other.query('commit');
      assert.equal(await two, low);
      return { seen, firstRuns };
    }

    test('a unit that locked a higher row undeclared: the lower lock uses NOWAIT', async () => {
      const { seen, firstRuns } = await race(async (tx) => (await tx.lock(high))?.id);
      assert.equal(seen.length, 1, seen.join('; '));
      assert.match(seen[0] ?? '', /could not obtain lock on row/);
      assert.equal(firstRuns, 2, 'run in the batch, then again alone');
    });

    test("a timer's claim counts as locked rows: the lower lock after it uses NOWAIT", async () => {
      // Claims every pending request with a deadline (the default 30m expiry), `low` skipped.
      const { seen, firstRuns } = await race(async (tx) => {
        const claimed = await tx.lockDue('expires_at', Number.MAX_SAFE_INTEGER, 100);
        assert.ok(claimed.some((r) => r.id === high));
        assert.ok(
          claimed.every((r) => r.id !== low),
          'SKIP LOCKED passes over the held row',
        );
      });
      assert.equal(seen.length, 1, seen.join('; '));
      assert.match(seen[0] ?? '', /could not obtain lock on row/);
      assert.equal(firstRuns, 2);
    });
  },
);
