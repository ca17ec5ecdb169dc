import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionRecord } from '@countersign/core';
import { ActionWatcher } from '../src/actions/action-watcher.js';
import { ActionEvents } from '../src/actions/action-events.js';
import { ActionRepository } from '../src/storage/action-repository.js';
import { silentChangeFeed } from '../src/storage/change-feed.js';
import { dialects, startGateway, type TestGateway } from './harness.js';

/**
 * The change watcher's safety poll (actions/action-watcher.ts) costs the store the same while
 * idle whether one request or a thousand are waited on: one "what changed since the last
 * poll" query, and a read only of what changed. The watcher is built here on the gateway's
 * store so every store query it makes goes through the counted functions below (the gateway's
 * own sequencer and loops would blur a process-wide count).
 */
const NO_POLL = 600_000;
const restore = { action: 'db.restore', resource: 'postgres://prod/customers', params: {} };

for (const dialect of await dialects()) {
  describe(`change watcher while idle (${dialect})`, () => {
    let gw: TestGateway;
    let exporter: string;
    const ids: string[] = [];
    before(async () => {
      gw = await startGateway({ dialect, pollMs: NO_POLL, tickMs: NO_POLL });
      exporter = await gw.token('agent', 'exporter');
      for (let i = 0; i < 1000; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, () =>
            gw.call('POST', '/v1/actions', { token: exporter, body: restore }),
          ),
        );
        for (const r of batch) {
          assert.equal(r.status, 201, JSON.stringify(r.body));
          ids.push(r.body.id as string);
        }
      }
    });
    after(async () => {
      await gw.close();
    });

    test('store queries per safety poll do not grow with the number of waiters', async () => {
      const { storage, audit } = gw.gateway;
      const repo = new ActionRepository(storage.db, storage.dialect, audit);
      const queries = { n: 0 };
      const events = new ActionEvents();
      const watcher = new ActionWatcher({
        feed: silentChangeFeed,
        events,
        pollMs: NO_POLL,
        findByIds: (wanted) => {
          queries.n++;
          return repo.findByIds(wanted);
        },
        changedSince: (since, overlapMs) => {
          queries.n++;
          return repo.changedSince(since, overlapMs, undefined);
        },
      });
      const heard: ActionRecord[] = [];
      const idlePolls = async (polls: number) => {
        await watcher.poll(); // the first poll of a window reads what changed before it
        heard.length = 0;
        const before = queries.n;
        for (let i = 0; i < polls; i++) await watcher.poll();
        return queries.n - before;
      };
      try {
        // Nobody waits: no query at all.
        assert.equal(await idlePolls(3), 0);
        const unsubscribe = [events.subscribe(ids[0], (r) => heard.push(r))];
        const withOne = await idlePolls(3);
        for (const id of ids.slice(1)) unsubscribe.push(events.subscribe(id, (r) => heard.push(r)));
        const withThousand = await idlePolls(3);
        assert.equal(withOne, 3, 'one query per poll with one waiter');
        assert.equal(withThousand, withOne, 'the same with 1,000 waiters');

        // A change nobody announced (as if its notification was lost) is found by the next
        // poll, and only it is read: one query for the window, one for the changed request.
        const changed = ids[500];
        const cancelled = await gw.call('POST', `/v1/actions/${changed}/cancel`, {
          token: exporter,
          body: {},
        });
        assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
        const before = queries.n;
        await watcher.poll();
        assert.equal(queries.n - before, 2);
        assert.deepEqual(
          heard.map((r) => [r.id, r.status]),
          [[changed, 'cancelled']],
        );
        for (const u of unsubscribe) u();
      } finally {
        watcher.close();
      }
    });
  });
}
