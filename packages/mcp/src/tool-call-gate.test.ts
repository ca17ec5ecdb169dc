import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from './gateway-client.js';
import { IdempotencyKeys } from './idempotency-key.js';
import { ToolCallGate, type ToolCall } from './tool-call-gate.js';

/** A scripted gateway: each handler answers one route; `down` makes every call a network error. */
class FakeGateway {
  readonly seen: Array<{ method: string; path: string; body: unknown }> = [];
  down = 0;
  constructor(
    readonly routes: Record<string, (body: unknown) => Response | 'drop' | Promise<Response>>,
  ) {}

  fetch: typeof fetch = async (input, init) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input : input.url,
    );
    const method = init?.method ?? 'GET';
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    this.seen.push({ method, path: url.pathname, body });
    if (this.down > 0) {
      this.down--;
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      });
    }
    const handler = this.routes[`${method} ${url.pathname}`];
    const answer = handler
      ? await handler(body)
      : json(404, { code: 'not_found', detail: 'no route' });
    if (answer === 'drop')
      throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    return answer;
  };

  calls(method: string, path: string) {
    return this.seen.filter((s) => s.method === method && s.path === path);
  }
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const record = (status: string, extra: Record<string, unknown> = {}) => ({
  id: 'act_1',
  status,
  reason: 'needs approval: review (1 of reviewers)',
  message: `The request to run mcp.fx.t on mcp://fx/t (default) is ${status}.`,
  expires_at: new Date(Date.now() + 60_000).toISOString(),
  grant: status === 'approved' ? { token: 'grant.jws' } : null,
  ...extra,
});

function gateFor(fake: FakeGateway) {
  return new ToolCallGate({
    client: new GatewayClient({ url: 'http://gw.test/', token: 'csa_t', fetch: fake.fetch }),
    environment: 'default',
    keys: new IdempotencyKeys('fixed-session'),
    retryDelaysMs: [1, 1],
    pollSeconds: 1,
  });
}

function call(overrides: Partial<ToolCall> = {}): ToolCall {
  return {
    server: 'fx',
    tool: 't',
    arguments: { a: 1 },
    hints: {},
    requestId: 3,
    signal: new AbortController().signal,
    onWaiting: () => undefined,
    ...overrides,
  };
}

describe('ToolCallGate', () => {
  test('a dropped submit is retried with the same idempotency key, then forwarded', async () => {
    let submits = 0;
    const fake = new FakeGateway({
      'POST /v1/actions': () => (++submits === 1 ? 'drop' : json(200, record('approved'))),
      'POST /v1/grants/redeem': () => json(200, { valid: true }),
    });
    const verdict = await gateFor(fake).decide(call());
    assert.deepEqual(verdict, { kind: 'forward', actionId: 'act_1' });
    const keys = fake
      .calls('POST', '/v1/actions')
      .map((c) => (c.body as { idempotency_key: string }).idempotency_key);
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1]);
    // The grant is redeemed for exactly the action that was submitted.
    assert.deepEqual(fake.calls('POST', '/v1/grants/redeem')[0]?.body, {
      grant: 'grant.jws',
      action: 'mcp.fx.t',
      resource: 'mcp://fx/t',
      environment: 'default',
      params: { a: 1 },
    });
  });

  test('a gateway that stays down is a refusal saying so, and nothing is forwarded', async () => {
    const fake = new FakeGateway({});
    fake.down = Infinity;
    const verdict = await gateFor(fake).decide(call());
    assert.equal(verdict.kind, 'refuse');
    assert.match(
      verdict.kind === 'refuse' ? verdict.text : '',
      /could not be reached.*ECONNREFUSED.*t was not called/,
    );
    assert.equal(fake.calls('POST', '/v1/actions').length, 3, 'three attempts');
  });

  test('a problem answer is a refusal naming its code', async () => {
    const fake = new FakeGateway({
      'POST /v1/actions': () => json(401, { code: 'invalid_token', detail: 'unknown token' }),
    });
    const verdict = await gateFor(fake).decide(call());
    assert.equal(verdict.kind, 'refuse');
    assert.match(
      verdict.kind === 'refuse' ? verdict.text : '',
      /refused the request for mcp\.fx\.t: invalid_token: unknown token/,
    );
    assert.equal(fake.calls('POST', '/v1/actions').length, 1, 'a refusal is not retried');
  });

  test('a record without a known status is refused, not guessed at', async () => {
    const fake = new FakeGateway({
      'POST /v1/actions': () => json(201, { id: 'act_1', status: 'maybe' }),
    });
    const verdict = await gateFor(fake).decide(call());
    assert.equal(verdict.kind, 'refuse');
    assert.match(verdict.kind === 'refuse' ? verdict.text : '', /unknown status "maybe"/);
  });

  test('waiting resumes after network errors on the same request, with progress', async () => {
    let waits = 0;
    const fake = new FakeGateway({
      'POST /v1/actions': () => json(201, record('pending')),
      'GET /v1/actions/act_1/wait': () => {
        waits++;
        if (waits <= 2) return 'drop';
        return json(200, waits === 3 ? record('pending') : record('approved'));
      },
      'POST /v1/grants/redeem': () => json(200, { valid: true }),
    });
    const progress: string[] = [];
    const verdict = await gateFor(fake).decide(call({ onWaiting: (m) => progress.push(m) }));
    assert.deepEqual(verdict, { kind: 'forward', actionId: 'act_1' });
    assert.equal(waits, 4);
    assert.equal(fake.calls('POST', '/v1/actions').length, 1, 'one request, however long the wait');
    assert.match(
      progress[0] ?? '',
      /^Waiting for approval of mcp\.fx\.t \(act_1\): needs approval/,
    );
  });

  test('a wait that outlives the deadline while the gateway is gone is refused', async () => {
    const fake = new FakeGateway({
      'POST /v1/actions': () =>
        json(201, record('pending', { expires_at: new Date(Date.now() - 60_000).toISOString() })),
      'GET /v1/actions/act_1/wait': () => 'drop',
    });
    const verdict = await gateFor(fake).decide(call());
    assert.equal(verdict.kind, 'refuse');
    assert.match(
      verdict.kind === 'refuse' ? verdict.text : '',
      /lost the gateway while waiting for act_1/,
    );
  });

  test('denied and expired records are refused with their message', async () => {
    for (const status of ['denied', 'expired', 'cancelled']) {
      const fake = new FakeGateway({ 'POST /v1/actions': () => json(201, record(status)) });
      const verdict = await gateFor(fake).decide(call());
      assert.deepEqual(verdict, {
        kind: 'refuse',
        text: `The request to run mcp.fx.t on mcp://fx/t (default) is ${status}.`,
        actionId: 'act_1',
        status,
      });
      assert.equal(fake.calls('POST', '/v1/grants/redeem').length, 0);
    }
  });

  test('a replayed key that already ran, or a grant already used, is not run again', async () => {
    const ran = new FakeGateway({ 'POST /v1/actions': () => json(200, record('completed')) });
    const first = await gateFor(ran).decide(call());
    assert.match(first.kind === 'refuse' ? first.text : '', /already ran; t was not called again/);
    const used = new FakeGateway({
      'POST /v1/actions': () => json(200, record('approved')),
      'POST /v1/grants/redeem': () => json(409, { code: 'grant_used', detail: 'already redeemed' }),
    });
    const second = await gateFor(used).decide(call());
    assert.match(second.kind === 'refuse' ? second.text : '', /grant_used/);
  });

  test('a call the client gave up on stays pending; the same call again resumes it', async () => {
    const controller = new AbortController();
    let status = 'pending';
    const fake = new FakeGateway({
      'POST /v1/actions': () => json(201, record('pending')),
      'GET /v1/actions/act_1/wait': () => {
        controller.abort();
        return 'drop';
      },
      'GET /v1/actions/act_1': () => json(200, record(status)),
      'POST /v1/grants/redeem': () => json(200, { valid: true }),
      'POST /v1/actions/act_1/cancel': () => json(200, record('cancelled')),
    });
    const gate = gateFor(fake);
    assert.deepEqual(await gate.decide(call({ signal: controller.signal })), { kind: 'cancelled' });
    assert.equal(fake.calls('POST', '/v1/actions/act_1/cancel').length, 0, 'left pending');
    // Meanwhile a reviewer approves; the model retries the same call under a new request id.
    status = 'approved';
    const retry = await gate.decide(call({ requestId: 4 }));
    assert.deepEqual(retry, { kind: 'forward', actionId: 'act_1' });
    assert.equal(fake.calls('POST', '/v1/actions').length, 1, 'no second request');
    // Different arguments are a different action: never the parked request.
    const other = new AbortController();
    let submits = 0;
    const fresh = new FakeGateway({
      'POST /v1/actions': () => json(201, record(++submits === 1 ? 'pending' : 'denied')),
      'GET /v1/actions/act_1/wait': () => (other.abort(), 'drop'),
    });
    const lot = gateFor(fresh);
    await lot.decide(call({ signal: other.signal }));
    const changed = await lot.decide(call({ arguments: { a: 2 }, requestId: 9 }));
    assert.equal(changed.kind, 'refuse');
    assert.equal(submits, 2, 'submitted anew');
    assert.equal(fresh.calls('GET', '/v1/actions/act_1').length, 0);
  });

  test('a retry right behind the cancellation resumes the request, before the wait unwinds', async () => {
    const controller = new AbortController();
    let waits = 0;
    // The first long-poll unwinds 20 ms after the client gives up (a real socket takes a
    // while); the retry arrives at once, so only parking at the abort itself can find it.
    const slowAbort = () =>
      new Promise<Response>((_, reject) =>
        controller.signal.addEventListener('abort', () =>
          setTimeout(() => reject(new DOMException('aborted', 'AbortError')), 20),
        ),
      );
    const fake = new FakeGateway({
      'POST /v1/actions': () => json(201, record('pending')),
      'GET /v1/actions/act_1/wait': () =>
        ++waits === 1 ? slowAbort() : json(200, record('approved')),
      'GET /v1/actions/act_1': () => json(200, record('pending')),
      'POST /v1/grants/redeem': () => json(200, { valid: true }),
    });
    const gate = gateFor(fake);
    const first = gate.decide(call({ signal: controller.signal }));
    while (waits === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const retry = gate.decide(call({ requestId: 4 }));
    assert.deepEqual(await retry, { kind: 'forward', actionId: 'act_1' });
    assert.deepEqual(await first, { kind: 'cancelled' });
    assert.equal(fake.calls('POST', '/v1/actions').length, 1, 'no second request');
  });

  test('a retry of a call that reviewers denied meanwhile hears the denial', async () => {
    const controller = new AbortController();
    const fake = new FakeGateway({
      'POST /v1/actions': () => json(201, record('pending')),
      'GET /v1/actions/act_1/wait': () => (controller.abort(), 'drop'),
      'GET /v1/actions/act_1': () => json(200, record('denied')),
    });
    const gate = gateFor(fake);
    await gate.decide(call({ signal: controller.signal }));
    const retry = await gate.decide(call({ requestId: 4 }));
    assert.equal(retry.kind === 'refuse' ? retry.status : null, 'denied');
    assert.equal(fake.calls('POST', '/v1/actions').length, 1);
  });

  test('closing the gate withdraws the requests still parked', async () => {
    const controller = new AbortController();
    const fake = new FakeGateway({
      'POST /v1/actions': () => json(201, record('pending')),
      'GET /v1/actions/act_1/wait': () => (controller.abort(), 'drop'),
      'POST /v1/actions/act_1/cancel': () => json(200, record('cancelled')),
    });
    const gate = gateFor(fake);
    await gate.decide(call({ signal: controller.signal }));
    await gate.close();
    assert.deepEqual(fake.calls('POST', '/v1/actions/act_1/cancel')[0]?.body, {
      reason: 'the MCP session ended while it waited',
    });
  });

  test('outcome reports are retried while the gateway is unreachable and never throw', async () => {
    const fake = new FakeGateway({
      'POST /v1/actions/act_1/result': () => json(200, record('completed')),
    });
    fake.down = 1;
    await gateFor(fake).report('act_1', 'completed', { mcp: { is_error: false } });
    assert.equal(fake.calls('POST', '/v1/actions/act_1/result').length, 2);
    const gone = new FakeGateway({});
    gone.down = Infinity;
    await gateFor(gone).report('act_1', 'failed', null);
  });
});
