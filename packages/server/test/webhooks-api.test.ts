import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyWebhookSignature } from '../src/index.js';
import { dialects, startGateway, type TestGateway } from './harness.js';
import {
  CALLBACK_SECRET,
  SECRET,
  startReceiver,
  until,
  type Received,
  type Receiver,
} from './webhooks-receiver.js';

/** Through the API: the action service enqueues in the transaction of each state change. */
for (const dialect of await dialects()) {
  describe(`webhooks through the API (${dialect})`, () => {
    let receiver: Receiver;
    let gw: TestGateway;
    let agent: string;
    let hang = false;

    before(async () => {
      receiver = await startReceiver(() => (hang ? 'hang' : 200));
      gw = await startGateway({
        dialect,
        tickMs: 20,
        webhooks: {
          endpoints: [{ name: 'ops', url: `${receiver.url}/ops`, secret: SECRET }],
          callback: { secret: CALLBACK_SECRET, allowed_hosts: ['127.0.0.1'] },
          backoff: { initial_ms: 50, max_ms: 200 },
        },
      });
      agent = await gw.token('agent', 'exporter');
    });
    after(async () => {
      await gw.close();
      await receiver.close();
    });

    const forAction = (id: string, path?: string): Received[] =>
      receiver.received.filter(
        (r) => r.body.includes(`"id":"${id}"`) && (path === undefined || r.path === path),
      );
    const submit = (body: Record<string, unknown>) =>
      gw.call('POST', '/v1/actions', { token: agent, body });

    test('an auto-approved request reaches the endpoint and its callback_url, never with the grant token', async () => {
      const res = await submit({
        action: 'db.export',
        resource: 'postgres://prod/customers',
        params: { rows: 10 },
        callback_url: `${receiver.url}/cb`,
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'approved');
      const id: string = res.body.id;
      await until(() => forAction(id).length === 2, 10_000, 'endpoint and callback');
      for (const [path, secret] of [
        ['/ops', SECRET],
        ['/cb', CALLBACK_SECRET],
      ] as const) {
        const [req] = forAction(id, path);
        assert.ok(req, `a request at ${path}`);
        assert.equal(req.headers['countersign-event'], 'action.decided');
        verifyWebhookSignature(
          secret,
          req.headers['countersign-signature'] as string,
          req.body,
          300,
        );
        const body = JSON.parse(req.body);
        assert.equal(body.data.action.status, 'approved');
        assert.ok(!('grant' in body.data.action), 'no grant member');
      }
      const token: unknown = res.body.grant?.token;
      assert.equal(typeof token, 'string', 'the agent got a grant');
      assert.ok(
        !receiver.received.some((r) => r.body.includes(token as string)),
        'the grant token is never sent',
      );
    });

    test('a request that needs approval: requested, voted, decided, reported, in order, with votes', async () => {
      const res = await submit({
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        params: { rows: 20000 },
        callback_url: `${receiver.url}/cb`,
      });
      assert.equal(res.body.status, 'pending');
      const id: string = res.body.id;
      for (const user of ['alice', 'frank']) {
        const vote = await gw.call('POST', `/v1/actions/${id}/votes`, {
          token: await gw.token('user', user),
          body: { vote: 'approve', comment: `ok from ${user}` },
        });
        assert.ok(vote.status < 300, JSON.stringify(vote.body));
      }
      const reported = await gw.call('POST', `/v1/actions/${id}/result`, {
        token: agent,
        body: { outcome: 'completed', detail: { rows: 20000 } },
      });
      assert.equal(reported.status, 200);
      await until(
        () => forAction(id, '/ops').length === 4 && forAction(id, '/cb').length === 2,
        10_000,
        'all events',
      );
      const ops = forAction(id, '/ops').map((r) => JSON.parse(r.body));
      assert.deepEqual(
        ops.map((b) => b.type),
        ['action.requested', 'action.voted', 'action.decided', 'action.reported'],
      );
      assert.deepEqual(
        ops.map((b) => b.data.votes.map((v: { user: string }) => v.user)),
        [[], ['alice'], ['alice', 'frank'], ['alice', 'frank']],
      );
      assert.equal(ops[2].data.action.status, 'approved');
      assert.equal(ops[2].data.votes[1].comment, 'ok from frank');
      // The agent's own callback hears only the end of its request and the recorded result.
      assert.deepEqual(
        forAction(id, '/cb').map((r) => r.headers['countersign-event']),
        ['action.decided', 'action.reported'],
      );
    });

    test('a callback_url on a host that is not allowed is refused at submit or never requested', async () => {
      const disallowed = `${receiver.url.replace('127.0.0.1', 'localhost')}/cb-disallowed`;
      const res = await submit({
        action: 'db.export',
        resource: 'postgres://prod/customers',
        params: { rows: 10 },
        callback_url: disallowed,
      });
      if (res.status === 400) {
        // Refused at submit (ActionService calls checkCallbackUrl): nothing stored.
        assert.equal(res.body.code, 'invalid_request');
        return;
      }
      assert.equal(res.status, 201);
      const id: string = res.body.id;
      await until(() => forAction(id, '/ops').length === 1, 10_000, 'the endpoint delivery');
      const row = await gw.gateway.storage.db
        .selectFrom('outbox')
        .selectAll()
        .where('action_id', '=', id)
        .where('target', '=', 'callback')
        .executeTakeFirstOrThrow();
      assert.ok(row.failed_at !== null);
      assert.match(row.last_error ?? '', /not in webhooks\.callback\.allowed_hosts/);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(!receiver.received.some((r) => r.path === '/cb-disallowed'), 'never requested');
    });

    test("a receiver that hangs never delays the agent's POST, nor the scheduler", async () => {
      hang = true;
      try {
        const first = await submit({ action: 'db.export', resource: 'a', params: { rows: 1 } });
        assert.equal(first.status, 201);
        await until(
          () => forAction(first.body.id, '/ops').length === 1,
          10_000,
          'the hanging delivery',
        );
        const hanging = forAction(first.body.id, '/ops')[0];
        // The receiver holds that request; meanwhile the agent is answered at once…
        const second = await submit({ action: 'db.export', resource: 'b', params: { rows: 1 } });
        assert.equal(second.status, 201);
        const pending = await submit({
          action: 'db.export',
          resource: 'c',
          environment: 'production',
          params: { rows: 20000 },
        });
        assert.equal(pending.status, 201);
        // …and a whole scheduler tick (expiry, escalation, delivery) completes.
        await gw.gateway.scheduler.tick();
        assert.equal(hanging.status, undefined, 'the receiver was still hanging throughout');
      } finally {
        hang = false;
        receiver.release();
      }
    });
  });
}
