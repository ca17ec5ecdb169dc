import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionRecord, JsonValue } from '@countersign/core';
import { NotificationDispatcher, verifyWebhookSignature, type Notifier } from '../src/index.js';
import type { NotificationEvent } from '../src/notify/notification.js';
import { DeliveryWorker } from '../src/notify/delivery-worker.js';
import { deliveryOutcomes } from '../src/notify/delivery-outcomes.js';
import { Metrics } from '../src/metrics/metrics.js';
import { outboxIn } from '../src/storage/outbox-repository.js';
import { createWebhookChannel, defaultWebhookSettings } from '../src/channels/webhook/index.js';
import { dialects, startGateway, type TestGateway } from './harness.js';
import {
  CALLBACK_SECRET,
  SECRET,
  fakeRecord,
  startReceiver,
  until,
  type Receiver,
} from './webhooks-receiver.js';

for (const dialect of await dialects()) {
  describe(`outbox and delivery worker (${dialect})`, () => {
    let receiver: Receiver;
    let gw: TestGateway;
    /** What the receiver answers, per request id in the body: overridden by tests. */
    const answers = new Map<string, (n: number) => number>();
    const seen = new Map<string, number>();

    before(async () => {
      receiver = await startReceiver((_n, req) => {
        const id = (JSON.parse(req.body) as { data: { action: { id: string } } }).data.action.id;
        const n = seen.get(id) ?? 0;
        seen.set(id, n + 1);
        return answers.get(id)?.(n) ?? 200;
      });
      gw = await startGateway({
        dialect,
        tickMs: 20,
        webhooks: {
          endpoints: [
            { name: 'ops', url: `${receiver.url}/ops`, secret: SECRET },
            {
              name: 'decisions',
              url: `${receiver.url}/decisions`,
              secret: SECRET,
              events: ['action.decided'],
            },
          ],
          callback: { secret: CALLBACK_SECRET, allowed_hosts: ['127.0.0.1'] },
          max_attempts: 3,
          timeout_ms: 2000,
          backoff: { initial_ms: 100, max_ms: 1000 },
        },
      });
    });
    after(async () => {
      await gw.close();
      await receiver.close();
    });

    const db = () => gw.gateway.storage.db;
    const enqueue = (
      event: NotificationEvent,
      record: ActionRecord,
      sink = gw.gateway.notifications,
    ) =>
      db()
        .transaction()
        .execute((trx) =>
          sink.enqueue(outboxIn(trx), { event, record, votes: [], at: Date.now() }),
        );
    const rowsOf = (actionId: string) =>
      db()
        .selectFrom('outbox')
        .selectAll()
        .where('action_id', '=', actionId)
        .orderBy('id')
        .execute();
    const requestsFor = (actionId: string) =>
      receiver.received.filter((r) => r.body.includes(`"id":"${actionId}"`));
    const settled = (actionId: string) =>
      until(
        async () =>
          (await rowsOf(actionId)).every((r) => r.delivered_at !== null || r.failed_at !== null),
        10_000,
        `rows of ${actionId} settled`,
      );

    test('nothing configured: no rows and no work', async () => {
      const bare = createWebhookChannel(defaultWebhookSettings(), 'http://localhost');
      const sink = new NotificationDispatcher(db(), bare.notifiers);
      const record = fakeRecord({ status: 'approved' });
      assert.equal(sink.wants('action.decided', record), false);
      await enqueue('action.decided', record, sink);
      assert.equal((await rowsOf(record.id)).length, 0);
    });

    test('one row per interested target, written with the change: a rollback writes none', async () => {
      const pending = fakeRecord();
      await enqueue('action.requested', pending);
      assert.deepEqual(
        (await rowsOf(pending.id)).map((r) => r.target),
        ['webhook:ops'],
      );

      const decided = fakeRecord({ status: 'approved', callback_url: `${receiver.url}/cb` });
      await enqueue('action.decided', decided);
      assert.deepEqual((await rowsOf(decided.id)).map((r) => r.target).sort(), [
        'callback',
        'webhook:decisions',
        'webhook:ops',
      ]);

      const rolledBack = fakeRecord({ status: 'approved' });
      await assert.rejects(
        db()
          .transaction()
          .execute(async (trx) => {
            await gw.gateway.notifications.enqueue(outboxIn(trx), {
              event: 'action.decided',
              record: rolledBack,
              votes: [],
              at: 0,
            });
            throw new Error('the state change failed');
          }),
      );
      assert.equal((await rowsOf(rolledBack.id)).length, 0);
      await settled(pending.id);
      await settled(decided.id);
    });

    test('delivers signed JSON; the signature verifies with the secret and not with another', async () => {
      const record = fakeRecord({ status: 'approved', callback_url: `${receiver.url}/cb` });
      await enqueue('action.decided', record);
      await settled(record.id);
      const rows = await rowsOf(record.id);
      assert.ok(rows.every((r) => r.delivered_at !== null && Number(r.attempts) === 1));
      const got = requestsFor(record.id);
      assert.equal(got.length, 3);
      for (const req of got) {
        assert.equal(req.headers['content-type'], 'application/json');
        assert.equal(req.headers['countersign-event'], 'action.decided');
        const row = rows.find((r) => r.id === req.headers['countersign-delivery']);
        assert.ok(row, 'Countersign-Delivery is the outbox row id');
        const secret = row.target === 'callback' ? CALLBACK_SECRET : SECRET;
        const header = req.headers['countersign-signature'] as string;
        assert.doesNotThrow(() => verifyWebhookSignature(secret, header, req.body, 300));
        assert.throws(
          () => verifyWebhookSignature('some-other-secret-123', header, req.body, 300),
          {
            code: 'invalid_signature',
          },
        );
        const body = JSON.parse(req.body);
        assert.equal(body.type, 'action.decided');
        assert.match(body.id, /^evt_/);
        assert.equal(body.data.action.id, record.id);
        assert.deepEqual(body.data.votes, []);
      }
      // One event id for every target of one notification.
      assert.equal(new Set(got.map((r) => JSON.parse(r.body).id)).size, 1);
    });

    test('a receiver answering 500 is retried with backoff, then delivered', async () => {
      const record = fakeRecord();
      answers.set(record.id, (n) => (n < 2 ? 500 : 204));
      await enqueue('action.requested', record);
      await settled(record.id);
      const [row] = await rowsOf(record.id);
      assert.ok(row.delivered_at !== null);
      assert.equal(Number(row.attempts), 3);
      assert.equal(row.last_error, null);
      const got = requestsFor(record.id);
      assert.deepEqual(
        got.map((r) => r.status),
        [500, 500, 204],
      );
      assert.equal(
        new Set(got.map((r) => r.headers['countersign-delivery'])).size,
        1,
        'same delivery id',
      );
      // Backoff with equal jitter: ≥ 50 ms after the 1st failure, ≥ 100 ms after the 2nd.
      assert.ok(got[1].at - got[0].at >= 50, `first retry after ${got[1].at - got[0].at} ms`);
      assert.ok(got[2].at - got[1].at >= 100, `second retry after ${got[2].at - got[1].at} ms`);
    });

    test('410 Gone stops retries at once', async () => {
      const record = fakeRecord();
      answers.set(record.id, () => 410);
      await enqueue('action.requested', record);
      await settled(record.id);
      const [row] = await rowsOf(record.id);
      assert.ok(row.failed_at !== null);
      assert.equal(row.delivered_at, null);
      assert.equal(Number(row.attempts), 1);
      assert.match(row.last_error ?? '', /410/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(requestsFor(record.id).length, 1);
    });

    test('retries exhausted: failed_at and last_error set, no more attempts', async () => {
      const record = fakeRecord();
      answers.set(record.id, () => 503);
      await enqueue('action.requested', record);
      await settled(record.id);
      const [row] = await rowsOf(record.id);
      assert.ok(row.failed_at !== null);
      assert.equal(Number(row.attempts), 3);
      assert.equal(row.last_error, 'gave up after 3 attempts: HTTP 503');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(requestsFor(record.id).length, 3);
    });

    test('a callback_url on a host that is not allowed is never requested, and why is recorded', async () => {
      // Same receiver, named `localhost`: not in allowed_hosts ['127.0.0.1'].
      const url = receiver.url.replace('127.0.0.1', 'localhost');
      const record = fakeRecord({ status: 'denied', callback_url: `${url}/cb` });
      assert.throws(() => gw.gateway.notifications.checkCallbackUrl(record.callback_url ?? ''), {
        code: 'invalid_request',
      });
      await enqueue('action.decided', record);
      const rows = await rowsOf(record.id);
      const callback = rows.find((r) => r.target === 'callback');
      assert.ok(
        callback?.failed_at !== null && callback?.failed_at !== undefined,
        'failed at once',
      );
      assert.equal(Number(callback.attempts), 0);
      assert.match(
        callback.last_error ?? '',
        /localhost.*not in webhooks\.callback\.allowed_hosts/,
      );
      await settled(record.id);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(
        requestsFor(record.id).every((r) => r.headers['countersign-delivery'] !== callback.id),
        'the callback URL was never requested',
      );
      assert.doesNotThrow(() => gw.gateway.notifications.checkCallbackUrl(`${receiver.url}/cb`));
    });

    test("one request's events reach a target in order, each only after the previous is delivered", async () => {
      const record = fakeRecord();
      answers.set(record.id, (n) => (n === 0 ? 500 : 200));
      // Three events in one transaction: the same millisecond, the same target.
      await db()
        .transaction()
        .execute(async (trx) => {
          for (const event of ['action.requested', 'action.voted', 'action.escalated'] as const) {
            await gw.gateway.notifications.enqueue(outboxIn(trx), {
              event,
              record,
              votes: [],
              at: Date.now(),
            });
          }
        });
      await settled(record.id);
      assert.deepEqual(
        requestsFor(record.id).map((r) => [r.headers['countersign-event'], r.status]),
        [
          ['action.requested', 500],
          ['action.requested', 200],
          ['action.voted', 200],
          ['action.escalated', 200],
        ],
      );
    });

    test('two workers on one store never deliver the same row twice (compare-and-set lease)', async () => {
      const deliveries = new Map<string, number>();
      const counting: Notifier = {
        name: 'counting',
        wants: () => true,
        async deliver(d) {
          deliveries.set(d.id, (deliveries.get(d.id) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 5));
          return { ok: true };
        },
      };
      const sink = new NotificationDispatcher(db(), [counting]);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const record = fakeRecord();
        ids.push(record.id);
        await enqueue('action.requested', record, sink);
      }
      const workers = [0, 1].map(
        () => new DeliveryWorker(db(), { notifiers: [counting], maxInFlight: 8 }),
      );
      await until(async () => {
        await Promise.all(workers.map((w) => w.runDue()));
        return deliveries.size === 40;
      });
      await Promise.all(workers.map((w) => w.drain()));
      assert.deepEqual([...new Set(deliveries.values())], [1], 'each row delivered exactly once');
    });

    test('closing the worker waits for each settled outcome to be recorded (the store closes after)', async () => {
      const ok: Notifier = { name: 'ok', wants: () => true, deliver: async () => ({ ok: true }) };
      const sink = new NotificationDispatcher(db(), [ok]);
      const order: string[] = [];
      let entered = false;
      let release = () => undefined as void;
      const recorded = new Promise<void>((r) => (release = r));
      const worker = new DeliveryWorker(db(), {
        notifiers: [ok],
        // The gateway's own outcome handler, its audit write held until `release`.
        onSettled: deliveryOutcomes({
          metrics: new Metrics({ pendingCount: () => Promise.resolve(0) }),
          record: async () => {
            entered = true;
            await recorded;
            order.push('recorded');
          },
          log: () => gw.gateway.app.log,
        }),
      });
      await enqueue('action.requested', fakeRecord(), sink);
      await until(async () => {
        await worker.runDue();
        return entered;
      });
      const closing = worker.close().then(() => order.push('closed'));
      await new Promise((r) => setTimeout(r, 50)); // time for a close that does not wait
      release();
      await closing;
      assert.deepEqual(order, ['recorded', 'closed']);
    });

    test('a channel keeps per-request state between events (to update its message in place)', async () => {
      const posted: Array<{ event: string; had: JsonValue | undefined }> = [];
      const chat: Notifier = {
        name: 'chat',
        wants: () => true,
        async deliver(d, ctx) {
          const had = await ctx.state.get();
          posted.push({ event: d.event, had });
          if (had === undefined) await ctx.state.set({ ts: `m-${d.action_id}` });
          return { ok: true };
        },
      };
      const sink = new NotificationDispatcher(db(), [chat]);
      const worker = new DeliveryWorker(db(), { notifiers: [chat] });
      const record = fakeRecord();
      await enqueue('action.requested', record, sink);
      await enqueue('action.decided', { ...record, status: 'approved' }, sink);
      await until(async () => {
        await worker.runDue();
        await worker.drain();
        return posted.length === 2;
      });
      assert.deepEqual(posted, [
        { event: 'action.requested', had: undefined },
        { event: 'action.decided', had: { ts: `m-${record.id}` } },
      ]);
    });
  });

  describe(`restart with undelivered webhooks (${dialect})`, () => {
    const config = (url: string) => ({
      dialect,
      tickMs: 20,
      webhooks: {
        endpoints: [{ name: 'ops', url: `${url}/ops`, secret: SECRET }],
        backoff: { initial_ms: 50, max_ms: 100 },
      },
    });
    const enqueueAll = (gw: TestGateway, records: ActionRecord[]) =>
      gw.gateway.storage.db.transaction().execute(async (trx) => {
        for (const record of records) {
          await gw.gateway.notifications.enqueue(outboxIn(trx), {
            event: 'action.requested',
            record,
            votes: [],
            at: Date.now(),
          });
        }
      });
    const outbox = (gw: TestGateway) =>
      gw.gateway.storage.db.selectFrom('outbox').selectAll().orderBy('id').execute();

    test('rows still being retried at shutdown are delivered after restart: none lost, none twice', async () => {
      let down = true;
      const receiver = await startReceiver(() => (down ? 503 : 200));
      const first = await startGateway(config(receiver.url));
      let second: TestGateway | undefined;
      try {
        await enqueueAll(
          first,
          Array.from({ length: 5 }, () => fakeRecord()),
        );
        await receiver.waitFor(5); // every row tried and refused at least once
        // Stop between attempts (none in flight), so no request is cut off half-way.
        await first.gateway.scheduler.stop();
        await first.gateway.notifications.drain();
        const left = await outbox(first);
        await first.close({ keep: true });
        assert.equal(left.length, 5);
        assert.ok(left.every((r) => r.delivered_at === null && r.failed_at === null));
        assert.ok(left.every((r) => Number(r.attempts) >= 1));

        down = false;
        const before = receiver.received.length;
        second = await first.restart();
        const gw = second;
        await until(
          async () => (await outbox(gw)).every((r) => r.delivered_at !== null),
          10_000,
          'delivery after restart',
        );
        await new Promise((r) => setTimeout(r, 200)); // would a duplicate follow?
        const after = receiver.received.slice(before);
        assert.deepEqual(
          after.map((r) => r.headers['countersign-delivery']).sort(),
          left.map((r) => r.id).sort(),
          'each row delivered exactly once',
        );
      } finally {
        await (second ?? first).close().catch(() => undefined);
        await receiver.close();
      }
    });

    test('a delivery cut off by shutdown is handed back and sent again after restart (at least once)', async () => {
      let hang = true;
      const receiver = await startReceiver(() => (hang ? 'hang' : 200));
      const first = await startGateway(config(receiver.url));
      let second: TestGateway | undefined;
      try {
        await enqueueAll(first, [fakeRecord()]);
        await receiver.waitFor(1); // the attempt is in flight, the receiver holds it
        await first.close({ keep: true });
        const gw = await first.restart();
        second = gw;
        // Not "failed", not counted as an attempt, due again at once: a clean shutdown does
        // not wait for the lease to end. (The restarted worker may already be retrying it.)
        hang = false;
        receiver.release();
        await until(async () => (await outbox(gw))[0]?.delivered_at !== null, 10_000, 'redelivery');
        const [row] = await outbox(gw);
        assert.equal(Number(row.attempts), 1, 'the cut-off attempt was not counted');
        const ids = receiver.received.map((r) => r.headers['countersign-delivery']);
        assert.deepEqual(
          ids,
          [row.id, row.id],
          'sent twice, same delivery id: receivers dedupe on it',
        );
      } finally {
        await (second ?? first).close().catch(() => undefined);
        await receiver.close();
      }
    });
  });
}
