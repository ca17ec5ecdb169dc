import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startGateway, type TestGateway, indexedStore } from './harness.js';

/**
 * Refusals below the routes, seen from a raw socket: what Node's HTTP parser and Fastify's
 * router refuse is problem+json like every other refusal, a parser refusal closes the
 * connection it cannot resynchronise (`Connection: close`, then the socket ends), and a
 * `HEAD` on an event stream answers at once instead of holding the pipeline.
 */
describe('wire refusals', () => {
  let gw: TestGateway;
  let agent: string;
  let user: string;
  let port: number;

  before(async () => {
    gw = await startGateway();
    agent = await gw.token('agent', 'exporter');
    user = await gw.token('user', 'bob');
    port = Number(new URL(gw.url).port);
  });
  after(() => gw.close());

  /** Writes `bytes`, reads until the server ends the connection (or `ms` pass: a failure). */
  function exchange(bytes: string, ms = 5000): Promise<{ text: string; ended: boolean }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ text, ended: false });
      }, ms);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ text, ended: true });
      });
      socket.write(bytes, 'latin1');
    });
  }

  /** Splits one response into status, lower-cased headers and body. */
  function parse(text: string) {
    const split = text.indexOf('\r\n\r\n');
    const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [
        l.slice(0, l.indexOf(':')).toLowerCase(),
        l.slice(l.indexOf(':') + 1).trim(),
      ]),
    );
    return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) };
  }

  async function refusedOnTheWire(bytes: string, status: number, code: string) {
    const before = await gw.count('actions');
    const { text, ended } = await exchange(bytes);
    assert.ok(ended, `the server closes the connection: ${JSON.stringify(text)}`);
    const res = parse(text);
    assert.equal(res.status, status, text);
    assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.equal(res.headers.connection, 'close');
    const body = JSON.parse(res.body);
    assert.equal(body.code, code);
    assert.equal(body.status, status);
    assert.equal(body.type, `urn:countersign:problem:${code}`);
    assert.equal(typeof body.request_id, 'string');
    assert.equal(await gw.count('actions'), before, 'nothing stored');
    return body as { request_id: string };
  }

  /** The same as a test body (node:test wants a void promise). */
  const refusedTest = (bytes: string, status: number, code: string) => async () => {
    await refusedOnTheWire(bytes, status, code);
  };

  const host = 'Host: 127.0.0.1\r\n';

  test(
    'an unknown method',
    refusedTest(`BREW /v1/actions HTTP/1.1\r\n${host}\r\n`, 400, 'invalid_request'),
  );

  test(
    'NUL in a header value',
    refusedTest(`GET /healthz HTTP/1.1\r\n${host}X-Evil: a\u0000b\r\n\r\n`, 400, 'invalid_request'),
  );

  test(
    'both Content-Length and Transfer-Encoding (request smuggling)',
    refusedTest(
      `POST /v1/actions HTTP/1.1\r\n${host}` +
        'Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '2\r\n{}\r\n0\r\n\r\n',
      400,
      'invalid_request',
    ),
  );

  test(
    'headers over the limit: 431, on a kept-alive connection',
    refusedTest(
      `GET /healthz HTTP/1.1\r\n${host}Connection: keep-alive\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ),
  );

  test('a parser refusal is recorded as evidence', async () => {
    // Anonymous refusals are recorded at most ten a second: start a fresh second.
    await new Promise((r) => setTimeout(r, 1100));
    const { request_id } = await refusedOnTheWire(
      `GET /healthz HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    );
    let found: { actor: { kind: string }; data: { code: string } } | undefined;
    for (let i = 0; i < 100 && !found; i++) {
      const rows = await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select('entry')
        .where('type', '=', 'api.refused')
        .execute();
      found = rows.map((r) => JSON.parse(r.entry)).find((e) => e.data.request_id === request_id);
      if (!found) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(found?.data.code, 'headers_too_large');
    assert.equal(found?.actor.kind, 'anonymous');
  });

  test("the router's refusals: a malformed percent-encoding, an over-long path segment", async () => {
    for (const [path, status, code] of [
      ['/v1/actions/%ZZ', 400, 'invalid_request'],
      [`/v1/actions/${'a'.repeat(200)}`, 414, 'uri_too_long'],
    ] as const) {
      const { text } = await exchange(
        `GET ${path} HTTP/1.1\r\n${host}Authorization: Bearer ${agent}\r\nConnection: close\r\n\r\n`,
      );
      const res = parse(text);
      assert.equal(res.status, status, text);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
      const body = JSON.parse(res.body);
      assert.equal(res.headers['x-request-id'], body.request_id);
      assert.equal(body.code, code);
      assert.equal(body.status, status);
      // Recorded before the answer, like every refusal through the app's error path.
      const recorded = await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select('entry')
        .where('type', '=', 'api.refused')
        .execute();
      assert.ok(
        recorded.some((r) => JSON.parse(r.entry).data.request_id === body.request_id),
        `${path} recorded`,
      );
    }
  });

  describe('HEAD on an event stream', () => {
    let id: string;
    before(async () => {
      const res = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: {
          action: 'db.export',
          resource: 'pg://head',
          environment: 'production',
          params: { rows: 50_000 },
        },
      });
      assert.equal(res.body.status, 'pending');
      id = res.body.id;
    });

    for (const [name, path, token] of [
      ['a pending request', () => `/v1/actions/${id}/events`, () => agent],
      ['the inbox', () => '/v1/inbox/events', () => user],
    ] as const) {
      test(`${name}: headers at once, and the request pipelined behind it is answered`, async () => {
        const started = Date.now();
        const { text, ended } = await exchange(
          `HEAD ${path()} HTTP/1.1\r\n${host}Authorization: Bearer ${token()}\r\n\r\n` +
            `GET /healthz HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
        );
        assert.ok(ended, `both answered and closed: ${JSON.stringify(text)}`);
        assert.ok(Date.now() - started < 3000);
        const second = text.indexOf('HTTP/1.1', 1);
        assert.ok(second > 0, text);
        const head = parse(text.slice(0, second));
        assert.equal(head.status, 200);
        assert.match(head.headers['content-type'] ?? '', /^text\/event-stream/);
        assert.equal(head.body, '', 'HEAD has no body');
        assert.equal(parse(text.slice(second)).status, 200);
      });
    }

    test('HEAD refuses like GET: no token is 401', async () => {
      const { text } = await exchange(
        `HEAD /v1/actions/${id}/events HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
      );
      assert.equal(parse(text).status, 401);
    });
  });
});
