import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { FIXTURE_TOOLS, createFixtureServer } from './fixtures/fixture-tools.js';
import { MAIN, callLog, eventually, startGateway, type TestGateway } from './proxy-harness.js';

/**
 * The fixture behind the SDK's Streamable HTTP server transport, one session per `initialize`,
 * the way a remote MCP server runs; it counts the session DELETEs it receives.
 */
async function startHttpFixture(log: string) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let deletes = 0;
  let authorization: string | undefined;
  const server: HttpServer = createServer((req, res) => {
    authorization = req.headers.authorization;
    if (req.method === 'DELETE') deletes++;
    const id = req.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    const handle = async () => {
      if (known) return known.handleRequest(req, res);
      if (id !== undefined) return void res.writeHead(404).end();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, transport),
      });
      await createFixtureServer(log).connect(transport);
      return transport.handleRequest(req, res);
    };
    handle().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    deletes: () => deletes,
    authorization: () => authorization,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('mcp-proxy with a Streamable HTTP upstream', () => {
  let gw: TestGateway;
  let upstream: Awaited<ReturnType<typeof startHttpFixture>>;
  let client: Client;
  const log = callLog();

  before(async () => {
    gw = await startGateway();
    upstream = await startHttpFixture(log.file);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        MAIN,
        'mcp-proxy',
        '--url',
        gw.url,
        '--token',
        gw.tokens.agent,
        '--name',
        'Files',
        '--environment',
        'staging',
        '--on-behalf-of',
        'ops',
        '--upstream',
        upstream.url,
        '--header',
        'Authorization: Bearer upstream-secret',
      ],
      stderr: 'pipe',
    });
    client = new Client({ name: 'countersign-test-client', version: '0.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await upstream?.close();
    await gw?.close();
  });

  test('lists the upstream tools and gates calls by risk under --name', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools, FIXTURE_TOOLS);
    assert.equal(upstream.authorization(), 'Bearer upstream-secret');

    // read_file is allowed by `risk == "low"`, which comes from its readOnlyHint.
    const read = CallToolResultSchema.parse(
      await client.callTool({ name: 'read_file', arguments: { path: '/srv/a' } }),
    );
    assert.equal(read.isError, undefined);
    assert.deepEqual(read.structuredContent, { path: '/srv/a', bytes: 42 });
    const { body } = await gw.api('GET', '/v1/actions?action=mcp.files.read_file', gw.tokens.root);
    assert.equal(body.items[0].environment, 'staging');
    assert.equal(body.items[0].on_behalf_of, 'ops');
    assert.deepEqual(body.items[0].rules, ['read-only-files']);

    const denied = CallToolResultSchema.parse(
      await client.callTool({ name: 'delete_repo', arguments: { repo: 'acme/api' } }),
    );
    assert.equal(denied.isError, true);
    assert.deepEqual(
      log.read().map((c) => c.tool),
      ['read_file'],
    );
  });

  test('closing the client ends the upstream session', async () => {
    await client.close();
    await eventually(async () => (upstream.deletes() > 0 ? true : undefined), 'a session DELETE');
  });
});
