import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, startGateway, type TestGateway } from './harness.js';

for (const dialect of await dialects()) {
  describe(`agent API (${dialect})`, () => {
    let gw: TestGateway;
    let exporter: string;
    let deployer: string;
    let alice: string;
    before(async () => {
      gw = await startGateway({ dialect });
      exporter = await gw.token('agent', 'exporter');
      deployer = await gw.token('agent', 'deployer');
      alice = await gw.token('user', 'alice');
    });
    after(() => gw.close());

    const submit = (token: string, body: unknown) =>
      gw.call('POST', '/v1/actions', { token, body });

    test('an allowed action is approved at once, with the deciding rule and the digest', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        params: { rows: 500 },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'approved');
      assert.equal(res.body.decision, 'allow');
      assert.deepEqual(res.body.rules, ['small-export']);
      assert.match(res.body.digest, /^sha256:[0-9a-f]{64}$/);
      assert.match(res.body.policy_version, /^sha256:/);
      assert.equal(res.headers.get('location'), `/v1/actions/${res.body.id}`);
      const read = await gw.call('GET', `/v1/actions/${res.body.id}`, { token: exporter });
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, res.body);
    });

    test('an action no rule matches is denied with a reason (fail closed)', async () => {
      const res = await submit(exporter, {
        action: 'iam.user.delete',
        resource: 'aws://iam/user/admin',
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'denied');
      assert.equal(res.body.decision, 'deny');
      assert.deepEqual(res.body.rules, []);
      assert.match(res.body.reason, /no rule matched/i);
    });

    test('a condition on a missing field denies, naming the rule, and never 500s', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        params: { columns: ['email'] },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'denied');
      assert.match(res.body.reason, /prod-large-export|small-export/);
      assert.ok(res.body.explanation.some((t: { outcome: string }) => t.outcome === 'error'));
    });

    test('a CEL evaluation error (wrong type in params) denies', async () => {
      const res = await submit(exporter, {
        action: 'db.query',
        resource: 'postgres://prod/customers',
        params: { sql: 42 },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'denied');
      assert.match(res.body.reason, /read-only-sql/);
    });

    test('read-only SQL is allowed and DDL-like SQL is not', async () => {
      const ok = await submit(exporter, {
        action: 'db.query',
        resource: 'pg://x',
        params: { sql: 'select 1' },
      });
      assert.equal(ok.body.status, 'approved');
      const bad = await submit(exporter, {
        action: 'db.query',
        resource: 'pg://x',
        params: { sql: 'DROP TABLE t' },
      });
      assert.equal(bad.body.status, 'denied');
    });

    test('a large production export waits for approval with an expiry and its requirement', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        params: { rows: 20000 },
        justification: 'quarterly churn analysis',
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'pending');
      assert.equal(res.body.decision, 'require_approval');
      assert.deepEqual(res.body.rules, ['prod-large-export']);
      assert.equal(res.body.approval.clauses[0].quorum, 2);
      const ttl = Date.parse(res.body.expires_at) - Date.parse(res.body.created_at);
      assert.equal(ttl, 30 * 60 * 1000);
    });

    test('the same idempotency key from the same agent returns the first request and stores nothing', async () => {
      const body = {
        action: 'db.export',
        resource: 'pg://a',
        params: { rows: 1 },
        idempotency_key: 'job-42',
      };
      const first = await submit(exporter, body);
      const before = await gw.count('actions');
      const again = await submit(exporter, { ...body, params: { rows: 1 } });
      assert.equal(first.status, 201);
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.id, first.body.id);
      assert.deepEqual(again.body, first.body);
      assert.equal(await gw.count('actions'), before);

      const other = await submit(deployer, body);
      assert.equal(other.status, 201);
      assert.notEqual(other.body.id, first.body.id);
      assert.equal(await gw.count('actions'), before + 1);
    });

    test('the same idempotency key for a different action is a conflict, not a replay', async () => {
      const body = {
        action: 'db.export',
        resource: 'pg://a',
        params: { rows: 1 },
        idempotency_key: 'job-43',
      };
      await submit(exporter, body);
      const before = await gw.count('actions');
      const res = await submit(exporter, { ...body, params: { rows: 2 } });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'idempotency_conflict');
      assert.equal(await gw.count('actions'), before);
    });

    test('concurrent submissions with one idempotency key create exactly one request', async () => {
      const body = {
        action: 'db.export',
        resource: 'pg://c',
        params: { rows: 3 },
        idempotency_key: 'race-1',
      };
      const before = await gw.count('actions');
      const results = await Promise.all(Array.from({ length: 20 }, () => submit(exporter, body)));
      assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
      assert.equal(results.filter((r) => r.status === 201).length, 1);
      assert.equal(await gw.count('actions'), before + 1);
    });

    test('cancel ends a pending request and wakes its waiter; a second cancel is refused', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        params: { rows: 50000 },
      });
      const waiting = gw.call('GET', `/v1/actions/${res.body.id}/wait?timeout=10`, {
        token: exporter,
      });
      await new Promise((r) => setTimeout(r, 50));
      const cancelled = await gw.call('POST', `/v1/actions/${res.body.id}/cancel`, {
        token: exporter,
        body: { reason: 'no longer needed' },
      });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, 'cancelled');
      const waited = await waiting;
      assert.equal(waited.body.status, 'cancelled');
      const again = await gw.call('POST', `/v1/actions/${res.body.id}/cancel`, { token: exporter });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'already_decided');
    });

    test('a request times out to expired (fail closed) and the long-poll returns it', async () => {
      const res = await submit(deployer, {
        action: 'k8s.rollout.restart',
        resource: 'k8s://prod/api',
      });
      assert.equal(res.body.status, 'pending');
      const waited = await gw.call('GET', `/v1/actions/${res.body.id}/wait?timeout=20`, {
        token: deployer,
      });
      assert.equal(waited.status, 200);
      assert.equal(waited.body.status, 'expired');
      assert.match(waited.body.reason, /expired/);
      const cancel = await gw.call('POST', `/v1/actions/${res.body.id}/cancel`, {
        token: deployer,
      });
      assert.equal(cancel.body.code, 'request_expired');
    });

    test('wait returns the pending record when its timeout passes first', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'pg://p',
        environment: 'production',
        params: { rows: 99999 },
      });
      const t0 = Date.now();
      const waited = await gw.call('GET', `/v1/actions/${res.body.id}/wait?timeout=0.3`, {
        token: exporter,
      });
      assert.equal(waited.body.status, 'pending');
      assert.ok(Date.now() - t0 >= 250);
    });

    test('results are reported once for approved requests only', async () => {
      const ok = await submit(exporter, {
        action: 'db.export',
        resource: 'pg://r',
        params: { rows: 5 },
      });
      const done = await gw.call('POST', `/v1/actions/${ok.body.id}/result`, {
        token: exporter,
        body: { outcome: 'completed', detail: { rows_written: 5 } },
      });
      assert.equal(done.status, 200);
      assert.equal(done.body.status, 'completed');
      assert.deepEqual(done.body.result.detail, { rows_written: 5 });
      const twice = await gw.call('POST', `/v1/actions/${ok.body.id}/result`, {
        token: exporter,
        body: { outcome: 'failed' },
      });
      assert.equal(twice.status, 409);
      const denied = await submit(exporter, { action: 'nope', resource: 'x' });
      const bad = await gw.call('POST', `/v1/actions/${denied.body.id}/result`, {
        token: exporter,
        body: { outcome: 'completed' },
      });
      assert.equal(bad.status, 409);
      assert.equal(bad.body.code, 'already_decided');
    });

    test('another agent cannot see, wait on, cancel or report on a request', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'pg://s',
        params: { rows: 5 },
      });
      for (const [method, path] of [
        ['GET', `/v1/actions/${res.body.id}`],
        ['GET', `/v1/actions/${res.body.id}/wait?timeout=0`],
        ['POST', `/v1/actions/${res.body.id}/cancel`],
      ] as const) {
        const r = await gw.call(method, path, { token: deployer });
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.equal(r.body.code, 'not_found');
      }
    });

    test('a reviewer sees the requests of their groups in the inbox, others do not', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'pg://inbox',
        environment: 'production',
        params: { rows: 12345 },
      });
      const inbox = await gw.call('GET', '/v1/actions?status=pending', { token: alice });
      assert.equal(inbox.status, 200);
      assert.ok(inbox.body.items.some((i: { id: string }) => i.id === res.body.id));
      const carol = await gw.token('user', 'carol');
      const other = await gw.call('GET', '/v1/actions?status=pending', { token: carol });
      assert.ok(!other.body.items.some((i: { id: string }) => i.id === res.body.id));
      const read = await gw.call('GET', `/v1/actions/${res.body.id}`, { token: carol });
      assert.equal(read.status, 404);
      // bob owns the exporter agent: he may read it but it is not in his review inbox
      const bob = await gw.token('user', 'bob');
      const bobInbox = await gw.call('GET', '/v1/actions?status=pending', { token: bob });
      assert.ok(!bobInbox.body.items.some((i: { id: string }) => i.id === res.body.id));
    });

    test('server-sent events deliver the record, then its final state', async () => {
      const res = await submit(exporter, {
        action: 'db.export',
        resource: 'pg://sse',
        environment: 'production',
        params: { rows: 77777 },
      });
      const stream = await fetch(`${gw.url}/v1/actions/${res.body.id}/events`, {
        headers: { authorization: `Bearer ${exporter}` },
      });
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
      let cancelled: Promise<unknown> = Promise.resolve();
      setTimeout(() => {
        cancelled = gw.call('POST', `/v1/actions/${res.body.id}/cancel`, { token: exporter });
      }, 50);
      const text = await stream.text(); // the server ends the stream after a final state
      // The stream can end before the cancel's own response arrives: wait for it, or the
      // gateway may be closed under it when this suite ends.
      await cancelled;
      const events = text
        .split('\n\n')
        .filter((e) => e.includes('event: action'))
        .map(
          (e) =>
            JSON.parse(
              e
                .split('\n')
                .find((l) => l.startsWith('data: '))!
                .slice(6),
            ) as { status: string },
        );
      assert.deepEqual(
        events.map((e) => e.status),
        ['pending', 'cancelled'],
      );
    });
  });
}
