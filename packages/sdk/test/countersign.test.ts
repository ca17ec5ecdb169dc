import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ActionCancelled,
  ActionDenied,
  ActionExpired,
  ApiError,
  Countersign,
  GatewayUnavailable,
  type ActionRecord,
  type RetryInfo,
} from '../src/index.js';
import { deadUrl, eventually, startGateway, type TestGateway } from './gateway.js';

const bigExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 50_000 },
  justification: 'churn analysis',
};
const fastRetry = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 };

describe('request, wait, guard against a real gateway', () => {
  let gw: TestGateway;
  let cs: Countersign;
  before(async () => {
    gw = await startGateway();
    cs = new Countersign({ url: gw.url, token: await gw.agentToken(), retry: fastRetry });
  });
  after(() => gw.close());

  test('a policy allow runs fn with the grant, returns its value and reports completed', async () => {
    let seen: { grant: string; record: ActionRecord } | undefined;
    const value = await cs.guard(
      { action: 'db.export', resource: 'postgres://prod/customers', params: { rows: 5 } },
      (approval) => {
        seen = approval;
        return 'exported 5';
      },
    );
    assert.equal(value, 'exported 5');
    assert.ok(seen);
    assert.match(seen.grant, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(seen.record.decision, 'allow');
    const after = await gw.read(seen.record.id);
    assert.equal(after.status, 'completed');
  });

  test('a policy deny throws ActionDenied with the record, and fn never runs', async () => {
    let ran = false;
    const err = await cs
      .guard({ action: 'db.ddl.drop', resource: 'postgres://prod/customers' }, () => {
        ran = true;
      })
      .then(
        () => assert.fail('expected a denial'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ActionDenied);
    assert.equal(err.code, 'action_denied');
    assert.equal(err.record.status, 'denied');
    assert.equal(err.message, err.record.message);
    assert.match(err.reason, /no DDL from agents/);
    assert.equal(ran, false);
  });

  test('approve after a wait: fn runs once the reviewer approves; progress is reported', async () => {
    const progress: ActionRecord[] = [];
    const running = cs.guard(bigExport, ({ record }) => `ran ${record.id}`, {
      onProgress: (r) => progress.push(r),
    });
    const [id] = await eventually(async () => {
      const ids = await gw.pendingIds();
      return ids.length > 0 ? ids : undefined;
    });
    assert.ok(id);
    await new Promise((r) => setTimeout(r, 300)); // the SDK is now inside a long-poll
    await gw.vote(id, 'alice', 'approve', 'fine for Q3');
    assert.equal(await running, `ran ${id}`);
    assert.ok(progress.length >= 1 && progress.every((r) => r.status === 'pending'));
    assert.equal((await gw.read(id)).status, 'completed');
  });

  test("a reviewer's deny reaches the agent as ActionDenied carrying the comment", async () => {
    let ran = false;
    const running = cs.guard(bigExport, () => {
      ran = true;
    });
    const [id] = await eventually(async () => {
      const ids = await gw.pendingIds();
      return ids.length > 0 ? ids : undefined;
    });
    assert.ok(id);
    await gw.vote(id, 'alice', 'deny', 'PII export needs a DPA first');
    const err = await running.then(
      () => assert.fail('expected a denial'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ActionDenied);
    assert.match(err.message, /was denied/);
    assert.match(err.message, /PII export needs a DPA first/);
    assert.equal(err.record.votes[0]?.comment, 'PII export needs a DPA first');
    assert.equal(ran, false);
  });

  test('nobody decides before the timeout: ActionExpired', async () => {
    const err = await cs
      .guard({ action: 'k8s.rollout.restart', resource: 'k8s://prod/api' }, () => 'ran')
      .then(
        () => assert.fail('expected expiry'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ActionExpired);
    assert.equal(err.code, 'action_expired');
    assert.match(err.message, /expired/);
  });

  test('fn throws: the result is reported failed with the message, and the error rethrown', async () => {
    let id = '';
    await assert.rejects(
      cs.guard(
        { action: 'db.export', resource: 'postgres://prod/customers', params: { rows: 7 } },
        ({ record }) => {
          id = record.id;
          throw new Error('disk full');
        },
      ),
      /disk full/,
    );
    const record = await gw.read(id);
    assert.equal(record.status, 'failed');
    assert.deepEqual(record.result?.detail, { error: 'disk full' });
  });

  test('guard timeoutMs: the request is cancelled on the gateway and ActionCancelled thrown', async () => {
    const err = await cs
      .guard(bigExport, () => 'ran', { timeoutMs: 300 })
      .then(
        () => assert.fail('expected a cancellation'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ActionCancelled);
    assert.equal((await gw.read(err.record.id)).status, 'cancelled');
  });

  test('abort: wait stops (the request stays pending); guard cancels it', async () => {
    const record = await cs.request(bigExport);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(cs.wait(record.id, { signal: controller.signal }), { name: 'AbortError' });
    assert.equal((await gw.read(record.id)).status, 'pending');
    await cs.cancel(record.id);

    const guarded = new AbortController();
    const running = cs.guard(bigExport, () => 'ran', { signal: guarded.signal });
    const [id] = await eventually(async () => {
      const ids = await gw.pendingIds();
      return ids.length > 0 ? ids : undefined;
    });
    assert.ok(id);
    guarded.abort();
    await assert.rejects(running, { name: 'AbortError' });
    await eventually(async () => (await gw.read(id)).status === 'cancelled');
  });

  test('wait with timeoutMs returns the still-pending record', async () => {
    const record = await cs.request(bigExport);
    const started = Date.now();
    const waited = await cs.wait(record.id, { timeoutMs: 400 });
    assert.equal(waited.status, 'pending');
    assert.ok(Date.now() - started >= 350);
    await cs.cancel(record.id, { reason: 'test over' });
  });

  test('the same idempotency key returns the same request; a bad request is ApiError at once', async () => {
    const a = await cs.request(bigExport, { idempotencyKey: 'job-1' });
    const b = await cs.request(bigExport, { idempotencyKey: 'job-1' });
    assert.equal(a.id, b.id);
    await cs.cancel(a.id);
    const retries: RetryInfo[] = [];
    const strict = new Countersign({
      url: gw.url,
      token: await gw.agentToken(),
      onRetry: (i) => retries.push(i),
    });
    const err = await strict.request({ action: 'not an action!', resource: 'x' }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'invalid_request');
    assert.equal(err.status, 400);
    assert.equal(retries.length, 0, 'a refusal is not retried');
  });
});

describe('an unreliable gateway', () => {
  test('network errors while waiting: the SDK retries and resumes on the same request', async () => {
    const gw = await startGateway();
    try {
      // Connection failures and 503s from a proxy, alternating.
      let failWaits = 4;
      const flaky: typeof fetch = async (input, init) => {
        const url = input instanceof Request ? input.url : input.toString();
        if (url.includes('/wait') && failWaits-- > 0) {
          if (failWaits % 2 === 0) throw new TypeError('fetch failed');
          return new Response('<html>bad gateway</html>', { status: 503 });
        }
        return fetch(input, init);
      };
      const retries: RetryInfo[] = [];
      const cs = new Countersign({
        url: gw.url,
        token: await gw.agentToken(),
        fetch: flaky,
        retry: fastRetry,
        onRetry: (i) => retries.push(i),
      });
      const running = cs.guard(bigExport, ({ record }) => record.id);
      const [id] = await eventually(async () => {
        const ids = await gw.pendingIds();
        return ids.length > 0 ? ids : undefined;
      });
      assert.ok(id);
      await eventually(async () => retries.length >= 4);
      await gw.vote(id, 'alice', 'approve');
      assert.equal(await running, id);
      assert.ok(retries.every((r) => r.requestId === id));
    } finally {
      await gw.close();
    }
  });

  test('a gateway restart while waiting: the SDK resumes on the same request id', async () => {
    let gw = await startGateway();
    try {
      const retries: RetryInfo[] = [];
      const cs = new Countersign({
        url: gw.url,
        token: await gw.agentToken(),
        pollSeconds: 1,
        retry: { baseDelayMs: 50, maxDelayMs: 200 },
        onRetry: (i) => retries.push(i),
      });
      let runs = 0;
      const running = cs.guard(bigExport, ({ record }) => {
        runs++;
        return record.id;
      });
      const [id] = await eventually(async () => {
        const ids = await gw.pendingIds();
        return ids.length > 0 ? ids : undefined;
      });
      assert.ok(id);
      await gw.close({ keep: true });
      // Down long enough for the SDK to notice and back off at least once.
      await eventually(async () => retries.length >= 2);
      gw = await gw.restart();
      assert.deepEqual(await gw.pendingIds(), [id], 'nothing was submitted twice');
      await gw.vote(id, 'alice', 'approve', 'after the restart');
      assert.equal(await running, id);
      assert.equal(runs, 1);
      assert.ok(retries.every((r) => r.requestId === id));
      assert.equal((await gw.read(id)).status, 'completed');
    } finally {
      await gw.close();
    }
  });

  test('a gateway that is down at submit: GatewayUnavailable, and fn never runs', async () => {
    const url = await deadUrl();
    const cs = new Countersign({ url, token: 'csa_whatever', retry: fastRetry });
    let ran = false;
    const err = await cs
      .guard(bigExport, () => {
        ran = true;
      })
      .then(
        () => assert.fail('expected GatewayUnavailable'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof GatewayUnavailable);
    assert.equal(err.code, 'gateway_unavailable');
    assert.match(err.message, /did not answer after 3 attempts/);
    assert.match(err.message, /ECONNREFUSED/);
    assert.equal(ran, false);
  });

  test('a wait that never reaches the gateway again gives up after maxOutageMs', async () => {
    const gw = await startGateway();
    const cs = new Countersign({
      url: gw.url,
      token: await gw.agentToken(),
      pollSeconds: 1,
      retry: { baseDelayMs: 20, maxDelayMs: 50, maxOutageMs: 500 },
    });
    const record = await cs.request(bigExport);
    await gw.close();
    await assert.rejects(cs.wait(record.id), (e: unknown) => {
      assert.ok(e instanceof GatewayUnavailable);
      assert.match(e.message, new RegExp(record.id));
      return true;
    });
  });
});
