import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';

/**
 * Two gateways on one PostgreSQL database, as two replicas behind a load balancer: a change
 * committed on one wakes waiters on the other through LISTEN/NOTIFY, not a per-waiter poll.
 * Safety polls are set far beyond each test's deadline, so only the notification can answer.
 */
const NO_POLL = 600_000;

const restore = { action: 'db.restore', resource: 'postgres://prod/customers', params: {} };

describe('cross-replica wake-ups (postgres)', { skip: !(await postgresAvailable()) }, () => {
  let a: TestGateway;
  let b: TestGateway;
  let exporter: string;
  let alice: string;
  before(async () => {
    // No scheduler ticks either: the idle-query count below is then the waiters' cost alone.
    a = await startGateway({ dialect: 'postgres', pollMs: NO_POLL, tickMs: NO_POLL });
    b = await startGateway({
      dialect: 'postgres',
      pollMs: NO_POLL,
      tickMs: NO_POLL,
      reuse: { dir: a.dir, databaseUrl: a.databaseUrl },
    });
    exporter = await a.token('agent', 'exporter');
    alice = await a.token('user', 'alice');
  });
  after(async () => {
    await b.close({ keep: true });
    await a.close();
  });

  const submitOn = async (gw: TestGateway) => {
    const res = await gw.call('POST', '/v1/actions', { token: exporter, body: restore });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.status, 'pending');
    return res.body.id as string;
  };
  const approveOn = async (gw: TestGateway, id: string) => {
    const res = await gw.call('POST', `/v1/actions/${id}/votes`, {
      token: alice,
      body: { vote: 'approve' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return Date.now();
  };

  test('a vote on A answers the long-poll on B at once', async () => {
    const id = await submitOn(a);
    const waiting = b
      .call('GET', `/v1/actions/${id}/wait?timeout=20`, { token: exporter })
      .then((r) => ({ r, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 300)); // let B's waiter subscribe
    const votedAt = await approveOn(a, id);
    const { r, at } = await waiting;
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'approved');
    assert.ok(at - votedAt < 2_000, `answered ${at - votedAt} ms after the vote`);
  });

  test("a vote on A reaches an SSE stream and the reviewer's inbox stream on B", async () => {
    const id = await submitOn(b);
    const events = await fetch(`${b.url}/v1/actions/${id}/events`, {
      headers: { authorization: `Bearer ${exporter}` },
    });
    const inbox = await fetch(`${b.url}/v1/inbox/events`, {
      headers: { authorization: `Bearer ${alice}` },
    });
    const seen = (res: Response, needle: string) =>
      (async () => {
        const decoder = new TextDecoder();
        let text = '';
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          text += decoder.decode(chunk, { stream: true });
          if (text.includes(needle)) return Date.now();
        }
        throw new Error(`stream ended without ${needle}: ${text}`);
      })();
    const approvedOnStream = seen(events, '"status":"approved"');
    const approvedInInbox = seen(inbox, `"id":"${id}","status":"approved"`);
    await new Promise((r) => setTimeout(r, 300));
    const votedAt = await approveOn(a, id);
    for (const at of await Promise.all([approvedOnStream, approvedInInbox]))
      assert.ok(at - votedAt < 2_000, `streamed ${at - votedAt} ms after the vote`);
    await events.body?.cancel();
    await inbox.body?.cancel();
  });

  test('a change nobody announced is found by the safety poll', async () => {
    const c = await startGateway({
      dialect: 'postgres',
      pollMs: 300,
      reuse: { dir: a.dir, databaseUrl: a.databaseUrl },
    });
    try {
      const id = await submitOn(a);
      const waiting = c.call('GET', `/v1/actions/${id}/wait?timeout=20`, { token: exporter });
      await new Promise((r) => setTimeout(r, 300));
      // Behind the gateways' back: no NOTIFY, as if the listener had been reconnecting. As
      // every write path does, the change moves `updated_at`: the poll looks for that.
      await sql`update actions set status = 'cancelled', updated_at = updated_at + 1, decided_at = updated_at + 1 where id = ${id}`.execute(
        a.gateway.storage.db,
      );
      const r = await waiting;
      assert.equal(r.body.status, 'cancelled');
    } finally {
      await c.close({ keep: true });
    }
  });

  test('200 idle waiters cost the store no more queries than none', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push(await submitOn(a));
    const queries = countQueries();
    try {
      const idle = async () => {
        const before = queries.n;
        await new Promise((r) => setTimeout(r, 3_000));
        return queries.n - before;
      };
      const withNone = await idle();
      const waits = ids.map((id) =>
        b.call('GET', `/v1/actions/${id}/wait?timeout=30`, { token: exporter }),
      );
      await new Promise((r) => setTimeout(r, 1_500)); // each wait reads its request once
      const withMany = await idle();
      // Before: one re-read per waiter per second, 600 here. Now none: no poll is due.
      assert.ok(
        withMany <= withNone + 2,
        `${withMany} queries with 200 waiters, ${withNone} without`,
      );
      for (const id of ids)
        await a.call('POST', `/v1/actions/${id}/cancel`, { token: exporter, body: {} });
      const answered = await Promise.all(waits);
      assert.ok(answered.every((r) => r.body.status === 'cancelled'));
    } finally {
      queries.restore();
    }
  });
});

/** Counts every statement any pg client of this process sends. */
function countQueries(): { n: number; restore(): void } {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const counter = {
    n: 0,
    restore: () => {
      proto.query = original;
    },
  };
  proto.query = function (this: unknown, ...args: unknown[]) {
    counter.n += 1;
    return original.apply(this, args);
  };
  return counter;
}
