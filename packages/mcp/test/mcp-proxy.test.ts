import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freePort } from './free-port.js';
import {
  MAIN,
  connectDirect,
  connectThroughProxy,
  eventually,
  requestWithStatus,
  startGateway,
  type ProxySession,
  type TestGateway,
} from './proxy-harness.js';

const textOf = (r: CallToolResult) =>
  r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');

describe('mcp-proxy over stdio, through the countersign CLI', () => {
  let gw: TestGateway;
  let direct: ProxySession;
  let proxied: ProxySession;

  /** The record of the latest request for `action`, as an admin sees it. */
  const latest = async (action: string) => {
    const { body } = await gw.api('GET', `/v1/actions?action=${action}&limit=1`, gw.tokens.root);
    return body.items[0];
  };
  const settled = (action: string, status: string) =>
    eventually(async () => {
      const r = await latest(action);
      return r?.status === status ? r : undefined;
    }, `${action} to be ${status}`);

  before(async () => {
    gw = await startGateway();
    [direct, proxied] = await Promise.all([
      connectDirect(),
      connectThroughProxy({ url: gw.url, token: gw.tokens.agent }),
    ]);
  });
  after(async () => {
    await Promise.all([direct?.close(), proxied?.close()]);
    await gw?.close();
  });

  test('the client sees the same server, tools, resources and prompts as upstream', async () => {
    const c = proxied.client;
    const d = direct.client;
    assert.deepEqual(c.getServerVersion(), d.getServerVersion());
    assert.deepEqual(c.getServerCapabilities(), d.getServerCapabilities());
    assert.equal(c.getInstructions(), d.getInstructions());
    const [tools, upstreamTools] = await Promise.all([c.listTools(), d.listTools()]);
    assert.deepEqual(tools, upstreamTools);
    assert.deepEqual(
      tools.tools.map((t) => [t.name, t.annotations]),
      [
        ['read_file', { readOnlyHint: true, openWorldHint: false }],
        ['delete_repo', { readOnlyHint: false, destructiveHint: true, idempotentHint: true }],
        ['send_email', undefined],
      ],
    );
    assert.deepEqual(await c.listResources(), await d.listResources());
    assert.deepEqual(
      await c.readResource({ uri: 'file:///readme.md' }),
      await d.readResource({ uri: 'file:///readme.md' }),
    );
    assert.deepEqual(await c.listPrompts(), await d.listPrompts());
    const prompt = { name: 'review', arguments: { path: 'a.ts' } };
    assert.deepEqual(await c.getPrompt(prompt), await d.getPrompt(prompt));
    await c.ping();
  });

  test('an allowed call reaches the upstream once and returns its result unchanged', async () => {
    const args = { name: 'read_file', arguments: { path: '/etc/motd' } };
    const result = await proxied.client.callTool(args);
    assert.deepEqual(result, await direct.client.callTool(args));
    assert.deepEqual(result.structuredContent, { path: '/etc/motd', bytes: 42 });
    assert.deepEqual(proxied.calls(), [{ tool: 'read_file', arguments: { path: '/etc/motd' } }]);
    const record = await settled('mcp.fixture-files.read_file', 'completed');
    assert.equal(record.resource, 'mcp://fixture-files/read_file');
    assert.equal(record.environment, 'default');
    assert.deepEqual(record.params, { path: '/etc/motd' });
    assert.deepEqual(record.rules, ['read-files']);
    assert.equal(record.risk, 'low');
    assert.deepEqual(record.context.mcp, {
      server: 'fixture-files',
      tool: 'read_file',
      title: 'Read a file',
      annotations: { readOnlyHint: true, openWorldHint: false },
    });
    assert.match(record.idempotency_key, /^mcp-[0-9a-f]{48}$/);
    assert.deepEqual(record.result.detail, { mcp: { is_error: false } });
  });

  test('an upstream error result is passed back and reported as failed', async () => {
    const result = await proxied.client.callTool({
      name: 'read_file',
      arguments: { path: '/missing' },
    });
    assert.equal(result.isError, true);
    assert.equal(textOf(CallToolResultSchema.parse(result)), 'no such file: /missing');
    const record = await settled('mcp.fixture-files.read_file', 'failed');
    assert.deepEqual(record.result.detail, { mcp: { is_error: true } });
  });

  test('a denied call is an isError result with the policy reason; upstream never sees it', async () => {
    const before = proxied.calls().length;
    const result = CallToolResultSchema.parse(
      await proxied.client.callTool({ name: 'delete_repo', arguments: { repo: 'acme/api' } }),
    );
    assert.equal(result.isError, true);
    assert.match(textOf(result), /denied: Agents never delete repositories/);
    assert.equal(proxied.calls().length, before);
    const record = await latest('mcp.fixture-files.delete_repo');
    assert.equal(record.status, 'denied');
    assert.equal(record.risk, 'high');
    assert.deepEqual(result._meta, {
      'countersign/request': { id: record.id, status: 'denied' },
    });
  });

  /**
   * Starts a send_email call that needs a reviewer, waits for the proxy's first progress
   * notification, and returns the pending request as the reviewer sees it in their inbox.
   */
  const startReviewedCall = async (
    subject: string,
    signal?: AbortSignal,
    session: ProxySession = proxied,
  ) => {
    const progress: Array<{ progress: number; message?: string | undefined }> = [];
    let firstProgress: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (firstProgress = resolve));
    const call = session.client
      .callTool(
        { name: 'send_email', arguments: { to: 'customer@example.com', subject } },
        CallToolResultSchema,
        {
          onprogress: (p) => {
            progress.push(p);
            firstProgress();
          },
          ...(signal ? { signal } : {}),
        },
      )
      .then((r) => CallToolResultSchema.parse(r));
    call.catch(() => undefined); // asserted by the caller
    await waiting;
    const inbox = await gw.api('GET', '/v1/actions?status=pending', gw.tokens.alice);
    const request = inbox.body.items.find(
      (r: { params: { subject: string } }) => r.params.subject === subject,
    );
    assert.ok(request, 'the request is in the reviewer inbox');
    return { call, progress, request };
  };

  test('approve after wait: the call blocks, sends progress, and runs once approved', async () => {
    const { call, progress, request } = await startReviewedCall('quarterly invoice');
    assert.equal(request.action, 'mcp.fixture-files.send_email');
    assert.equal(request.risk, null);
    assert.match(
      progress[0]?.message ?? '',
      /Waiting for approval of mcp\.fixture-files\.send_email/,
    );
    assert.equal(progress[0]?.progress, 1);
    assert.ok(!proxied.calls().some((c) => c.tool === 'send_email'), 'not run before approval');
    const vote = await gw.api('POST', `/v1/actions/${request.id}/votes`, gw.tokens.alice, {
      vote: 'approve',
      comment: 'fine',
    });
    assert.equal(vote.status, 200);
    const result = await call;
    assert.equal(result.isError, undefined);
    assert.equal(textOf(result), 'sent "quarterly invoice" to customer@example.com');
    assert.deepEqual(
      proxied.calls().filter((c) => c.tool === 'send_email'),
      [
        {
          tool: 'send_email',
          arguments: { to: 'customer@example.com', subject: 'quarterly invoice' },
        },
      ],
    );
    await settled('mcp.fixture-files.send_email', 'completed');
    // The proxy redeemed the grant before forwarding: the approval cannot be used twice.
    const record = await gw.api('GET', `/v1/actions/${request.id}`, gw.tokens.root);
    assert.equal(record.body.status, 'completed');
  });

  test('denied by a reviewer: an isError result carrying their comment', async () => {
    const { call, request } = await startReviewedCall('price change');
    await gw.api('POST', `/v1/actions/${request.id}/votes`, gw.tokens.alice, {
      vote: 'deny',
      comment: 'not to customers without legal',
    });
    const result = await call;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /was denied/);
    assert.match(textOf(result), /alice \(deny\): not to customers without legal/);
    assert.ok(!proxied.calls().some((c) => c.arguments.subject === 'price change'));
  });

  test('expired without a decision: an isError result, never forwarded', async () => {
    const result = CallToolResultSchema.parse(
      await proxied.client.callTool(
        { name: 'send_email', arguments: { to: 'x@example.com', subject: 'expire' } },
        CallToolResultSchema,
        { onprogress: () => undefined },
      ),
    );
    assert.equal(result.isError, true);
    assert.match(textOf(result), /expired without a decision/);
    assert.ok(!proxied.calls().some((c) => c.arguments.subject === 'expire'));
  });

  test('a client that gives up waiting leaves the request pending; the same call resumes it', async () => {
    const controller = new AbortController();
    const first = await startReviewedCall('follow-up', controller.signal);
    controller.abort('host timeout');
    await assert.rejects(first.call);
    const pending = await gw.api('GET', `/v1/actions/${first.request.id}`, gw.tokens.root);
    assert.equal(pending.body.status, 'pending');
    // The model tries again: the retry waits on the same request instead of opening another.
    const retry = await startReviewedCall('follow-up');
    assert.equal(retry.request.id, first.request.id);
    await gw.api('POST', `/v1/actions/${first.request.id}/votes`, gw.tokens.alice, {
      vote: 'approve',
    });
    assert.equal((await retry.call).isError, undefined);
    const sent = proxied.calls().filter((c) => c.arguments.subject === 'follow-up');
    assert.equal(sent.length, 1);
    const all = await gw.api(
      'GET',
      '/v1/actions?action=mcp.fixture-files.send_email',
      gw.tokens.root,
    );
    assert.equal(
      all.body.items.filter(
        (r: { params: { subject: string } }) => r.params.subject === 'follow-up',
      ).length,
      1,
    );
  });

  test('a session that ends withdraws the requests still waiting', async () => {
    const session = await connectThroughProxy({ url: gw.url, token: gw.tokens.agent });
    const { request } = await startReviewedCall('left behind', undefined, session);
    await session.close();
    const record = await requestWithStatus(
      gw,
      request.id,
      'cancelled',
      'the request to be cancelled',
      5_000,
    );
    assert.match(record.reason, /the MCP session ended while it waited/);
    assert.deepEqual(session.calls(), []);
  });
});

describe('mcp-proxy fails closed', () => {
  test('gateway down: tools are listed, but a call is an isError result and never forwarded', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const session = await connectThroughProxy({ url: down, token: 'csa_whatever' });
    try {
      const { tools } = await session.client.listTools();
      assert.equal(tools.length, 3);
      const result = CallToolResultSchema.parse(
        await session.client.callTool({ name: 'read_file', arguments: { path: '/etc/motd' } }),
      );
      assert.equal(result.isError, true);
      assert.match(textOf(result), /Countersign could not be reached .*ECONNREFUSED/);
      assert.match(textOf(result), /read_file was not called/);
      assert.deepEqual(session.calls(), []);
      assert.match(session.stderr(), /mcp\.fixture-files\.read_file: refused/);
    } finally {
      await session.close();
    }
  });

  test('usage errors exit 2 before anything starts', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [MAIN, 'mcp-proxy', ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
    const none = run(['--token', 'csa_x']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /no upstream/);
    assert.equal(none.stdout, '', 'stdout belongs to the protocol');
    const noToken = run(['--', 'node', 'server.js']);
    assert.equal(noToken.status, 2);
    assert.match(noToken.stderr, /no agent token/);
  });

  test('an upstream command that does not exist: exit 1 with the reason', () => {
    const r = spawnSync(
      process.execPath,
      [MAIN, 'mcp-proxy', '--token', 'csa_x', '--', 'countersign-no-such-command'],
      { encoding: 'utf8', input: '' },
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot start the upstream MCP server.*ENOENT/);
  });
});
