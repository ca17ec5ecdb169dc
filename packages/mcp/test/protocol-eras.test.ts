import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import {
  EVERYTHING,
  FIXTURE,
  FIXTURE_V2,
  POLICY,
  callLog,
  pendingRequest,
  requestWithStatus,
  proxyArgv,
  startGateway,
  type TestGateway,
} from './proxy-harness.js';

/** The everything server's echo is allowed, its get-sum needs a reviewer. */
const EVERYTHING_POLICY = `${POLICY}  - id: everything-echo
    match: { action: mcp.everything.echo }
    decision: allow
`;

interface Session {
  /** `callTool` of whichever SDK. */
  callTool(
    name: string,
    args: Record<string, unknown>,
  ): Promise<{ content: unknown; isError?: boolean }>;
  listTools(): Promise<string[]>;
  era: string;
  close(): Promise<void>;
}

async function v1Client(argv: string[], capabilities = {}): Promise<Session> {
  const client = new ClientV1({ name: 'v1-host', version: '0.0.0' }, { capabilities });
  await client.connect(new StdioV1({ command: process.execPath, args: argv, stderr: 'pipe' }));
  return {
    callTool: async (name, args) => {
      const r = await client.callTool({ name, arguments: args });
      return { content: r.content, ...(r.isError === true ? { isError: true } : {}) };
    },
    listTools: async () => (await client.listTools()).tools.map((t) => t.name),
    era: 'legacy',
    close: () => client.close(),
  };
}

async function v2Client(argv: string[]): Promise<Session> {
  const client = new ClientV2(
    { name: 'v2-host', version: '0.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  await client.connect(new StdioV2({ command: process.execPath, args: argv, stderr: 'pipe' }));
  return {
    callTool: async (name, args) => {
      const r = await client.callTool({ name, arguments: args });
      return { content: r.content, ...(r.isError === true ? { isError: true } : {}) };
    },
    listTools: async () => (await client.listTools()).tools.map((t) => t.name),
    era: client.getProtocolEra() ?? 'unknown',
    close: () => client.close(),
  };
}

const text = (r: { content: unknown }) =>
  (r.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');

describe('MCP 2026-07-28 basic/versioning §Compatibility Matrix: both eras through the proxy', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(EVERYTHING_POLICY);
  });
  after(async () => gw?.close());

  const combos = [
    { client: '1.x (legacy)', connect: v1Client, upstream: '1.x (legacy)', fixture: FIXTURE },
    {
      client: '1.x (legacy)',
      connect: v1Client,
      upstream: '2.x (2026-07-28)',
      fixture: FIXTURE_V2,
    },
    { client: '2.x (2026-07-28)', connect: v2Client, upstream: '1.x (legacy)', fixture: FIXTURE },
    {
      client: '2.x (2026-07-28)',
      connect: v2Client,
      upstream: '2.x (2026-07-28)',
      fixture: FIXTURE_V2,
    },
  ];
  for (const combo of combos) {
    test(`client ${combo.client} × upstream ${combo.upstream}: tools listed, allowed call runs once, denied never reaches the upstream, approval waits`, async () => {
      const log = callLog();
      const session = await combo.connect(
        proxyArgv({ url: gw.url, token: gw.tokens.agent }, [combo.fixture, log.file]),
      );
      try {
        assert.equal(session.era, combo.client.startsWith('2.x') ? 'modern' : 'legacy');
        const tools = await session.listTools();
        for (const t of ['delete_repo', 'read_file', 'send_email']) assert.ok(tools.includes(t), t);
        const read = await session.callTool('read_file', { path: '/etc/motd' });
        assert.equal(text(read), 'contents of /etc/motd');
        const denied = await session.callTool('delete_repo', { repo: 'prod' });
        assert.equal(denied.isError, true);
        assert.match(text(denied), /Agents never delete repositories/);
        // Needs approval: this client declares no Tasks extension, so the call waits as today.
        const pending = session.callTool('send_email', {
          to: 'x@example.com',
          subject: combo.client,
        });
        const record = await pendingRequest(
          gw,
          (r: { params: { subject: string } }) => r.params.subject === combo.client,
          'the pending request',
        );
        const vote = await gw.api('POST', `/v1/actions/${record.id}/votes`, gw.tokens.alice, {
          vote: 'approve',
        });
        assert.equal(vote.status, 200);
        assert.match(text(await pending), /^sent /);
        assert.deepEqual(
          log.read().map((c) => c.tool),
          ['read_file', 'send_email'],
        );
      } finally {
        await session.close();
      }
    });
  }

  test('2026-07-28 basic/patterns/mrtr, client 1.x × upstream 2.x: an approved call the upstream answers with input_required is a JSON-RPC error, reported failed', async () => {
    const log = callLog();
    // The client declares elicitation, so the upstream asks; the proxy cannot relay the question.
    const session = await v1Client(
      proxyArgv({ url: gw.url, token: gw.tokens.agent }, [FIXTURE_V2, log.file]),
      { elicitation: {} },
    );
    try {
      const call = session.callTool('deploy', { env: 'legacy-client' });
      const record = await pendingRequest(
        gw,
        (r: { params: { env?: string } }) => r.params.env === 'legacy-client',
        'the pending deploy',
      );
      await gw.api('POST', `/v1/actions/${record.id}/votes`, gw.tokens.alice, { vote: 'approve' });
      await assert.rejects(call, /input_required/);
      assert.deepEqual(log.read(), []);
      const failed = await requestWithStatus(gw, record.id, 'failed', 'the failed report');
      assert.equal(failed.status, 'failed');
    } finally {
      await session.close();
    }
  });

  test('client 1.x × @modelcontextprotocol/server-everything (registry, legacy over stdio): allowed echo runs, unruled tool refused', async () => {
    const session = await v1Client(
      proxyArgv(
        { url: gw.url, token: gw.tokens.agent },
        [EVERYTHING, 'stdio'],
        ['--name', 'everything'],
      ),
    );
    try {
      assert.ok((await session.listTools()).includes('echo'));
      const echo = await session.callTool('echo', { message: 'hello' });
      assert.match(text(echo), /hello/);
      const sum = await session.callTool('get-sum', { a: 1, b: 2 });
      assert.equal(sum.isError, true);
      assert.match(text(sum), /denied/);
    } finally {
      await session.close();
    }
  });

  test('client 2.x (2026-07-28) × server-everything (legacy): the proxy bridges the eras', async () => {
    const session = await v2Client(
      proxyArgv(
        { url: gw.url, token: gw.tokens.agent },
        [EVERYTHING, 'stdio'],
        ['--name', 'everything'],
      ),
    );
    try {
      assert.equal(session.era, 'modern');
      const echo = await session.callTool('echo', { message: 'modern hello' });
      assert.match(text(echo), /modern hello/);
    } finally {
      await session.close();
    }
  });
});
