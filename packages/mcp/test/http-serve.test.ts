import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as HttpV2,
} from '@modelcontextprotocol/client';
import {
  startLegacyHttpFixture,
  startModernHttpFixture,
  type HttpFixture,
} from './fixtures/http-fixtures.js';
import { freePort } from './free-port.js';
import {
  FIXTURE,
  FIXTURE_V2,
  MAIN,
  callLog,
  eventually,
  pendingRequest,
  startGateway,
  type TestGateway,
} from './proxy-harness.js';

const SECRET = 'mcp-http-test-secret';
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
const modernMeta = (capabilities: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});

/**
 * `countersign mcp-proxy --listen 127.0.0.1:PORT --upstream URL` (or `-- <command…>` when
 * `upstream` is an argv), until it serves.
 */
async function startProxy(gw: TestGateway, upstream: string | string[], flags: string[] = []) {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      MAIN,
      'mcp-proxy',
      '--url',
      gw.url,
      '--token',
      gw.tokens.agent,
      '--state-secret',
      SECRET,
      '--listen',
      `127.0.0.1:${port}`,
      ...flags,
      ...(typeof upstream === 'string'
        ? ['--upstream', upstream]
        : ['--', process.execPath, ...upstream]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await eventually(async () => (stderr.includes('serving MCP') ? true : undefined), 'the proxy');
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stderr: () => stderr,
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** One raw 2026-07-28 POST with the headers the transport requires. */
async function post(
  url: string,
  method: string,
  params: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const name = params.name ?? params.uri;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  const body: any = text.startsWith('{') ? JSON.parse(text) : text;
  return { status: res.status, body };
}

const textOf = (r: object) =>
  (((r as { content?: unknown }).content ?? []) as { text?: string }[])
    .map((c) => c.text ?? '')
    .join('\n');

for (const [era, start] of [
  ['legacy (1.x)', startLegacyHttpFixture],
  ['2026-07-28 (2.x)', startModernHttpFixture],
] as const) {
  describe(`mcp-proxy --listen over a ${era} Streamable HTTP upstream`, () => {
    let gw: TestGateway;
    let upstream: HttpFixture;
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    const log = callLog();
    before(async () => {
      gw = await startGateway();
      upstream = await start(log.file);
      proxy = await startProxy(gw, upstream.url);
    });
    after(async () => {
      await proxy?.close();
      await upstream?.close();
      await gw?.close();
    });

    test(`2026-07-28 basic/transports/streamable-http "Backward Compatibility": the upstream's era is probed with server/discover`, () => {
      const expected = era.startsWith('legacy') ? 'legacy' : 'modern';
      assert.match(proxy.stderr(), new RegExp(`the upstream speaks the ${expected} protocol`));
    });

    test('2025-11-25 basic/transports "Session Management": the 1.x client (sessions) is gated; a refusal never reaches the upstream', async () => {
      const client = new ClientV1({ name: 'v1-http', version: '0' });
      await client.connect(new HttpV1(new URL(proxy.url)));
      try {
        const { tools } = await client.listTools();
        assert.ok(tools.some((t) => t.name === 'send_email'));
        const read = await client.callTool({ name: 'read_file', arguments: { path: '/a' } });
        assert.equal(read.isError, undefined);
        const denied = await client.callTool({ name: 'delete_repo', arguments: { repo: 'x/y' } });
        assert.equal(denied.isError, true);
        assert.match(textOf(denied), /Agents never delete repositories/);
        assert.ok(!log.read().some((c) => c.tool === 'delete_repo'));
        // A legacy call that needs approval waits on its POST until a reviewer approves.
        const pending = client.callTool({
          name: 'send_email',
          arguments: { to: 'a@example.com', subject: `v1 ${era}` },
        });
        const record = await pendingRequest(
          gw,
          (r: { params: { subject: string } }) => r.params.subject === `v1 ${era}`,
          'the pending request',
          5_000,
        );
        await gw.api('POST', `/v1/actions/${record.id}/votes`, gw.tokens.alice, {
          vote: 'approve',
        });
        assert.equal(textOf(await pending), `sent "v1 ${era}" to a@example.com`);
      } finally {
        await client.close();
      }
    });

    test('2026-07-28 basic/transports/streamable-http "Sending Messages": the 2.x client (stateless POSTs) is gated', async () => {
      const client = new ClientV2(
        { name: 'v2-http', version: '0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      await client.connect(new HttpV2(new URL(proxy.url)));
      try {
        assert.equal(client.getProtocolEra(), 'modern');
        const { tools } = await client.listTools();
        assert.ok(tools.some((t) => t.name === 'read_file'));
        const read = await client.callTool({ name: 'read_file', arguments: { path: '/b' } });
        assert.notEqual(read.isError, true);
        const denied = await client.callTool({ name: 'delete_repo', arguments: { repo: 'x/z' } });
        assert.equal(denied.isError, true);
        assert.ok(!log.read().some((c) => c.tool === 'delete_repo'));
      } finally {
        await client.close();
      }
    });

    test('ext-tasks "Task Polling" over HTTP: the signed task handle lets another replica answer tasks/get once approved', async () => {
      const created = await post(proxy.url, 'tools/call', {
        name: 'send_email',
        arguments: { to: 'b@example.com', subject: `task ${era}` },
        _meta: modernMeta(TASKS),
      });
      assert.equal(created.status, 200);
      assert.equal(created.body.id, 7);
      assert.equal(created.body.result.resultType, 'task');
      const taskId = created.body.result.taskId as string;
      const { body } = await gw.api('GET', '/v1/actions?status=pending', gw.tokens.root);
      const record = body.items.find(
        (r: { params: { subject: string } }) => r.params.subject === `task ${era}`,
      );
      await gw.api('POST', `/v1/actions/${record.id}/votes`, gw.tokens.alice, { vote: 'approve' });
      const replica = await startProxy(gw, upstream.url);
      try {
        const done = await post(replica.url, 'tasks/get', { taskId, _meta: modernMeta(TASKS) });
        assert.equal(done.body.result.status, 'completed');
        assert.equal(
          done.body.result.result.content[0].text,
          `sent "task ${era}" to b@example.com`,
        );
      } finally {
        await replica.close();
      }
    });
  });
}

describe('mcp-proxy --listen over a command (stdio) upstream', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw?.close());

  for (const [label, fixture] of [
    ['1.x', FIXTURE],
    ['2.x', FIXTURE_V2],
  ] as const) {
    test(`2026-07-28 basic/transports/stdio "Backward Compatibility" behind HTTP (${label} upstream): a 1.x and a 2.x HTTP client through one proxy, both gated`, async () => {
      const log = callLog();
      const proxy = await startProxy(gw, [fixture, log.file]);
      const v1 = new ClientV1({ name: 'v1-http', version: '0' });
      const v2 = new ClientV2(
        { name: 'v2-http', version: '0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      try {
        await v1.connect(new HttpV1(new URL(proxy.url)));
        await v2.connect(new HttpV2(new URL(proxy.url)));
        assert.equal(v2.getProtocolEra(), 'modern');
        for (const client of [v1, v2]) {
          const read = await client.callTool({ name: 'read_file', arguments: { path: '/s' } });
          assert.notEqual(read.isError, true);
          const denied = await client.callTool({ name: 'delete_repo', arguments: { repo: 'r' } });
          assert.equal(denied.isError, true);
        }
        assert.deepEqual(
          log.read().map((c) => c.tool),
          ['read_file', 'read_file'],
        );
      } finally {
        await v1.close();
        await v2.close();
        await proxy.close();
      }
    });
  }
});

describe('mcp-proxy --listen: the 2026-07-28 transport rules, and refusals from the attacker side', () => {
  let gw: TestGateway;
  let upstream: HttpFixture;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const log = callLog();
  before(async () => {
    gw = await startGateway();
    upstream = await startLegacyHttpFixture(log.file);
    proxy = await startProxy(gw, upstream.url, ['--allow-origin', 'app.example.com']);
  });
  after(async () => {
    await proxy?.close();
    await upstream?.close();
    await gw?.close();
  });

  test('2026-07-28 basic/transports/streamable-http "Security & Endpoint" 1: a foreign Origin is refused with 403 (DNS rebinding); nothing is filed or run', async () => {
    const call = { name: 'read_file', arguments: { path: '/evil' }, _meta: modernMeta() };
    const refused = await post(proxy.url, 'tools/call', call, { origin: 'http://evil.example' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.id, undefined);
    assert.equal(typeof refused.body.error.message, 'string');
    const legacy = await fetch(proxy.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        origin: 'http://127.0.0.1.evil.example:80',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    assert.equal(legacy.status, 403);
    // A sandboxed iframe or a file: page sends the opaque origin `null`: not a loopback origin.
    const opaque = await post(proxy.url, 'tools/call', call, { origin: 'null' });
    assert.equal(opaque.status, 403);
    const { body } = await gw.api(
      'GET',
      '/v1/actions?action=mcp.fixture-files.read_file',
      gw.tokens.root,
    );
    assert.equal(body.items.length, 0);
    assert.deepEqual(log.read(), []);
    // Loopback origins and the --allow-origin host are served.
    for (const origin of ['http://localhost:5173', 'https://app.example.com']) {
      const ok = await post(proxy.url, 'tools/call', call, { origin });
      assert.equal(ok.status, 200, origin);
    }
  });

  test('ext-tasks "Task Polling" over HTTP: a forged task handle is a JSON-RPC error; nothing runs', async () => {
    const forged = `cs1.${Buffer.from(JSON.stringify({ a: 'act_x' })).toString('base64url')}.AAAA`;
    const r = await post(proxy.url, 'tasks/get', { taskId: forged, _meta: modernMeta(TASKS) });
    assert.equal(r.status, 200);
    assert.equal(r.body.error.code, -32602);
    assert.equal(r.body.error.data.reason, 'invalid_task_id');
    assert.ok(!log.read().some((c) => c.tool === 'send_email'));
  });

  test('2026-07-28 basic/transports/streamable-http "Server Validation": an Mcp-Name that lies about the body is 400 HeaderMismatch (-32020)', async () => {
    const call = { name: 'delete_repo', arguments: { repo: 'a/b' }, _meta: modernMeta() };
    const r = await post(proxy.url, 'tools/call', call, { 'mcp-name': 'read_file' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, -32020);
    const missing = await post(
      proxy.url,
      'tools/list',
      { _meta: modernMeta() },
      { 'mcp-method': '' },
    );
    assert.equal(missing.status, 400);
    assert.ok(!log.read().some((c) => c.tool === 'delete_repo'));
  });

  test('2026-07-28 basic/versioning: an unsupported version is 400 UnsupportedProtocolVersionError; an unknown session is 404; GET without a session is 405', async () => {
    const meta = { ...modernMeta(), 'io.modelcontextprotocol/protocolVersion': '2099-01-01' };
    const r = await post(
      proxy.url,
      'tools/list',
      { _meta: meta },
      { 'mcp-protocol-version': '2099-01-01' },
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, -32022);
    const unknown = await fetch(proxy.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mcp-session-id': 'nope' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    assert.equal(unknown.status, 404);
    assert.equal((await fetch(proxy.url)).status, 405);
  });

  test('2026-07-28 basic/transports/streamable-http "Receiving Messages" + "Cancellation": a waiting call streams progress over SSE; closing the stream cancels the wait without running the call; the same call again resumes the request', async () => {
    const call = (progressToken: string) => ({
      name: 'send_email',
      arguments: { to: 'c@example.com', subject: 'sse' },
      _meta: { ...modernMeta(), progressToken },
    });
    const aborted = new AbortController();
    const res = await fetch(proxy.url, {
      method: 'POST',
      signal: aborted.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'send_email',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'tools/call', params: call('p1') }),
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const event = JSON.parse(first.split('data: ')[1] ?? '');
    assert.equal(event.method, 'notifications/progress');
    assert.equal(event.params.progressToken, 'p1');
    aborted.abort();
    await eventually(
      async () => (proxy.stderr().includes('the client gave up waiting') ? true : undefined),
      'the proxy to see the closed stream',
    );
    const pending = async () => {
      const { body } = await gw.api(
        'GET',
        '/v1/actions?action=mcp.fixture-files.send_email',
        gw.tokens.root,
      );
      return body.items as { id: string; status: string }[];
    };
    const [record] = await pending();
    assert.equal(record?.status, 'pending');
    await gw.api('POST', `/v1/actions/${record?.id}/votes`, gw.tokens.alice, { vote: 'approve' });
    assert.ok(!log.read().some((c) => c.tool === 'send_email'));
    const again = await post(proxy.url, 'tools/call', call('p2'));
    const answer = typeof again.body === 'string' ? again.body : JSON.stringify(again.body);
    assert.match(answer, /sent \\"sse\\" to c@example.com/);
    assert.equal((await pending()).length, 1);
    assert.equal(log.read().filter((c) => c.tool === 'send_email').length, 1);
  });

  test('2025-11-25 basic/lifecycle: an initialize the transport refuses opens no session', async () => {
    const res = await fetch(proxy.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    assert.equal(res.status, 406);
    assert.equal(res.headers.get('mcp-session-id'), null);
  });

  test('"Security & Endpoint" 2: --listen on a non-loopback address needs --allow-remote', async () => {
    const child = spawn(
      process.execPath,
      [MAIN, 'mcp-proxy', '--token', 't', '--listen', '0.0.0.0:1', '--upstream', upstream.url],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 2);
    assert.match(stderr, /--allow-remote/);
  });
});
