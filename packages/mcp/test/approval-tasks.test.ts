import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FIXTURE_V2,
  FIXTURE,
  callLog,
  eventually,
  pendingRequest,
  requestWithStatus,
  proxyArgv,
  startGateway,
  type TestGateway,
} from './proxy-harness.js';
import { freePort } from './free-port.js';
import { RawMcpClient } from './raw-mcp-client.js';

const SECRET = 'mcp-test-state-secret';
const modernMeta = (
  capabilities: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  ...extra,
});
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
const URL_ELICITATION = { elicitation: { url: {} } };

/** A loopback relay in front of the gateway that remembers each request's trace headers. */
async function traceRecorder(target: string) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([k]) => !['host', 'connection', 'content-length'].includes(k),
        ),
      ) as Record<string, string>;
      void fetch(target + (req.url ?? ''), {
        method: req.method,
        headers,
        body: chunks.length === 0 ? undefined : Buffer.concat(chunks),
      }).then(
        async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? '' });
          res.end(Buffer.from(await r.arrayBuffer()));
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('Tasks extension (io.modelcontextprotocol/tasks) and signed requestState, from the client side', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw?.close());

  const approve = (id: string) =>
    gw.api('POST', `/v1/actions/${id}/votes`, gw.tokens.alice, { vote: 'approve' });
  const start = (
    upstream: string,
    log: ReturnType<typeof callLog>,
    secret = SECRET,
    url = gw.url,
  ) =>
    new RawMcpClient(
      proxyArgv({ url, token: gw.tokens.agent }, [upstream, log.file], ['--state-secret', secret]),
    );

  for (const [label, upstream] of [
    ['2.x upstream', FIXTURE_V2],
    ['1.x upstream', FIXTURE],
  ] as const) {
    test(`ext-tasks "Task Creation" / "Task Polling" (${label}): a call needing approval is a task; tasks/get on a restarted proxy with the same secret runs it once approved`, async () => {
      const log = callLog();
      const first = start(upstream, log);
      const created = await first.request('tools/call', {
        name: 'send_email',
        arguments: { to: 'a@example.com', subject: `task ${label}` },
        _meta: modernMeta(TASKS),
      });
      assert.equal(created.result.resultType, 'task');
      assert.equal(created.result.status, 'working');
      assert.equal(typeof created.result.pollIntervalMs, 'number');
      const taskId = created.result.taskId as string;
      const polled = await first.request('tasks/get', { taskId, _meta: modernMeta(TASKS) });
      assert.equal(polled.result.resultType, 'complete');
      assert.equal(polled.result.status, 'working');
      // The approval takes "hours": the first proxy is gone by then.
      await first.close();
      assert.deepEqual(log.read(), []);
      const { body } = await gw.api('GET', '/v1/actions?status=pending&limit=100', gw.tokens.root);
      const record = body.items.find(
        (r: { params: { subject: string } }) => r.params.subject === `task ${label}`,
      );
      assert.equal((await approve(record.id)).status, 200);

      const second = start(upstream, log);
      try {
        const done = await second.request('tasks/get', { taskId, _meta: modernMeta(TASKS) });
        assert.equal(done.result.status, 'completed');
        assert.equal(done.result.result.content[0].text, `sent "task ${label}" to a@example.com`);
        // Polling again answers from the result, it does not run the call again.
        const again = await second.request('tasks/get', { taskId, _meta: modernMeta(TASKS) });
        assert.equal(again.result.status, 'completed');
        assert.deepEqual(log.read(), [
          { tool: 'send_email', arguments: { to: 'a@example.com', subject: `task ${label}` } },
        ]);
        const final = await gw.api('GET', `/v1/actions/${record.id}`, gw.tokens.root);
        assert.equal(final.body.status, 'completed');
      } finally {
        await second.close();
      }
    });
  }

  test('ext-tasks "Task Polling": forged, tampered, expired-secret and foreign task ids are JSON-RPC errors; nothing runs', async () => {
    const log = callLog();
    const client = start(FIXTURE_V2, log);
    try {
      const created = await client.request('tools/call', {
        name: 'send_email',
        arguments: { to: 'b@example.com', subject: 'forgery' },
        _meta: modernMeta(TASKS),
      });
      const taskId = created.result.taskId as string;
      const [v, body, mac] = taskId.split('.') as [string, string, string];
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
      const edited = Buffer.from(
        JSON.stringify({ ...payload, args: { to: 'attacker@example.com', subject: 'forgery' } }),
      ).toString('base64url');
      for (const bad of [
        'not-a-task',
        `${v}.${edited}.${mac}`, // tampered arguments, old MAC
        // forged MAC (never the real one, which may itself end in AA)
        `${v}.${body}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`,
        42,
      ]) {
        const r = await client.request('tasks/get', { taskId: bad, _meta: modernMeta(TASKS) });
        assert.equal(r.error?.code, -32602, JSON.stringify(r));
        assert.equal(r.error?.data.reason, 'invalid_task_id');
      }
      // A proxy with another secret does not know this task.
      const other = start(FIXTURE_V2, log, 'another-secret');
      try {
        const r = await other.request('tasks/get', { taskId, _meta: modernMeta(TASKS) });
        assert.equal(r.error?.data.detail, 'forged');
      } finally {
        await other.close();
      }
      const cancelled = await client.request('tasks/cancel', { taskId, _meta: modernMeta(TASKS) });
      assert.equal(cancelled.result.resultType, 'complete');
      const after = await client.request('tasks/get', { taskId, _meta: modernMeta(TASKS) });
      assert.equal(after.result.status, 'completed');
      assert.equal(after.result.result.isError, true);
      assert.deepEqual(log.read(), []);
    } finally {
      await client.close();
    }
  });

  test('fail closed (2026-07-28 client): gateway down, a call is refused and a task stays working; nothing reaches the upstream', async () => {
    const log = callLog();
    const first = start(FIXTURE_V2, log);
    let taskId: string;
    try {
      const created = await first.request('tools/call', {
        name: 'send_email',
        arguments: { to: 'd@example.com', subject: 'down' },
        _meta: modernMeta(TASKS),
      });
      taskId = created.result.taskId as string;
    } finally {
      await first.close();
    }
    const down = `http://127.0.0.1:${await freePort()}`;
    const cut = start(FIXTURE_V2, log, SECRET, down);
    try {
      const polled = await cut.request('tasks/get', { taskId, _meta: modernMeta(TASKS) });
      assert.equal(polled.result.status, 'working');
      assert.match(polled.result.statusMessage, /could not be reached/);
      const call = await cut.request('tools/call', {
        name: 'read_file',
        arguments: { path: '/etc/motd' },
        _meta: modernMeta(TASKS),
      });
      assert.equal(call.result.isError, true);
      assert.equal(call.result.resultType, 'complete');
      assert.match(call.result.content[0].text, /Countersign could not be reached/);
      assert.deepEqual(log.read(), []);
    } finally {
      await cut.close();
    }
  });

  test('2026-07-28 basic/patterns/mrtr + client/elicitation URL mode: the approver link comes as input_required; the signed requestState resumes the same call only', async () => {
    const log = callLog();
    const client = start(FIXTURE_V2, log);
    try {
      const args = { to: 'c@example.com', subject: 'mrtr' };
      const first = await client.request('tools/call', {
        name: 'send_email',
        arguments: args,
        _meta: modernMeta(URL_ELICITATION),
      });
      assert.equal(first.result.resultType, 'input_required');
      const ask = first.result.inputRequests['countersign-approval'];
      assert.equal(ask.method, 'elicitation/create');
      assert.equal(ask.params.mode, 'url');
      const actionId = /\/actions\/([^/]+)$/.exec(ask.params.url)?.[1] ?? '';
      assert.ok(ask.params.url.startsWith(`${gw.url}/actions/`));
      const state = first.result.requestState as string;

      // Replayed for another call (other arguments, other tool): refused, never forwarded.
      for (const [name, a] of [
        ['send_email', { ...args, to: 'attacker@example.com' }],
        ['read_file', { path: '/etc/passwd' }],
      ] as const) {
        const r = await client.request('tools/call', {
          name,
          arguments: a,
          requestState: state,
          _meta: modernMeta(URL_ELICITATION),
        });
        assert.equal(r.error?.code, -32602);
        assert.equal(r.error?.data.detail, 'other_call');
      }
      // Tampered and forged state.
      const [v, body, mac] = state.split('.') as [string, string, string];
      const flipped = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), f: true }),
      ).toString('base64url');
      for (const bad of [`${v}.${flipped}.${mac}`, 'cs1.e30.AAAA', '']) {
        const r = await client.request('tools/call', {
          name: 'send_email',
          arguments: args,
          requestState: bad,
          _meta: modernMeta(URL_ELICITATION),
        });
        assert.equal(r.error?.code, -32602, JSON.stringify(r));
        assert.equal(r.error?.data.reason, 'invalid_request_state');
      }
      assert.deepEqual(log.read(), []);

      assert.equal((await approve(actionId)).status, 200);
      const retried = await client.request('tools/call', {
        name: 'send_email',
        arguments: args,
        requestState: state,
        inputResponses: { 'countersign-approval': { action: 'accept' } },
        _meta: modernMeta(URL_ELICITATION),
      });
      assert.equal(retried.result.content[0].text, 'sent "mrtr" to c@example.com');
      // The approval was used up: the same state again runs nothing.
      const replay = await client.request('tools/call', {
        name: 'send_email',
        arguments: args,
        requestState: state,
        _meta: modernMeta(URL_ELICITATION),
      });
      assert.equal(replay.result.isError, true);
      assert.equal(log.read().length, 1);
    } finally {
      await client.close();
    }
  });

  test('2026-07-28 basic/patterns/mrtr: an approved call whose upstream asks for input continues on the retry, without a second request; the upstream state is only accepted wrapped', async () => {
    const log = callLog();
    const client = start(FIXTURE_V2, log);
    try {
      const meta = modernMeta({ elicitation: {} });
      const call = client.request('tools/call', {
        name: 'deploy',
        arguments: { env: 'prod' },
        _meta: meta,
      });
      const record = await pendingRequest(
        gw,
        (r: { action: string }) => r.action === 'mcp.fixture-files.deploy',
        'the pending deploy',
      );
      assert.equal((await approve(record.id)).status, 200);
      const first = await call;
      assert.equal(first.result.resultType, 'input_required');
      assert.ok(first.result.inputRequests.confirm);
      const wrapped = first.result.requestState as string;
      assert.notEqual(wrapped, 'deploy:prod');
      assert.ok(wrapped.startsWith('cs1.'));
      const inputResponses = { confirm: { action: 'accept', content: { confirm: true } } };
      // The upstream's own state, unwrapped, is not the proxy's: refused, never forwarded.
      const bypass = await client.request('tools/call', {
        name: 'deploy',
        arguments: { env: 'prod' },
        requestState: 'deploy:prod',
        inputResponses,
        _meta: meta,
      });
      assert.equal(bypass.error?.code, -32602);
      assert.deepEqual(log.read(), []);
      const done = await client.request('tools/call', {
        name: 'deploy',
        arguments: { env: 'prod' },
        requestState: wrapped,
        inputResponses,
        _meta: meta,
      });
      assert.equal(done.result.content[0].text, 'deployed to prod');
      assert.deepEqual(log.read(), [{ tool: 'deploy', arguments: { env: 'prod' } }]);
      const { body } = await gw.api(
        'GET',
        '/v1/actions?action=mcp.fixture-files.deploy',
        gw.tokens.root,
      );
      assert.equal(body.items.length, 1, 'one request for the whole multi-round-trip call');
      const final = await requestWithStatus(gw, record.id, 'completed', 'the outcome report');
      assert.equal(final.status, 'completed');
    } finally {
      await client.close();
    }
  });

  test('2026-07-28 basic/versioning §Protocol Version Negotiation: an unknown version is UnsupportedProtocolVersionError (-32022)', async () => {
    const client = start(FIXTURE_V2, callLog());
    try {
      const r = await client.request('tools/list', {
        _meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' },
      });
      assert.equal(r.error?.code, -32022);
      assert.deepEqual(r.error?.data, { supported: ['2026-07-28'], requested: '2099-01-01' });
      const d = await client.request('server/discover', { _meta: modernMeta({}) });
      assert.deepEqual(d.result.supportedVersions, ['2026-07-28']);
      assert.deepEqual(d.result.capabilities.extensions, { 'io.modelcontextprotocol/tasks': {} });
    } finally {
      await client.close();
    }
  });

  test('W3C Trace Context §3.2 via _meta: a valid traceparent/tracestate reaches the gateway as headers; a malformed one is dropped', async () => {
    const relay = await traceRecorder(gw.url);
    const log = callLog();
    const client = start(FIXTURE_V2, log, SECRET, relay.url);
    try {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await client.request('tools/call', {
        name: 'read_file',
        arguments: { path: '/a' },
        _meta: modernMeta({}, { traceparent, tracestate: 'vendor=abc' }),
      });
      // The outcome report follows the answer: wait for it.
      const traced = await eventually(
        async () => {
          const t = relay.seen.filter((h) => h.traceparent !== undefined);
          return t.length >= 3 ? t : undefined;
        },
        'the submit, the redemption and the outcome report',
        30_000,
      );
      assert.ok(
        traced.every((h) => h.traceparent === traceparent && h.tracestate === 'vendor=abc'),
      );
      const before = relay.seen.length;
      for (const bad of [
        '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
        'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
        '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx-evil: 1',
      ]) {
        await client.request('tools/call', {
          name: 'read_file',
          arguments: { path: '/b' },
          _meta: modernMeta({}, { traceparent: bad, tracestate: 'vendor=abc' }),
        });
      }
      const later = await eventually(
        async () => {
          const l = relay.seen.slice(before);
          return l.length >= 12 ? l : undefined;
        },
        'four submits, redemptions and outcome reports',
        30_000,
      );
      assert.ok(later.every((h) => h.traceparent === undefined && h.tracestate === undefined));
    } finally {
      await client.close();
      await relay.close();
    }
  });
});
