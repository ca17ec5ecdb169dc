/**
 * The proxy served over Streamable HTTP, to clients of both eras on one endpoint:
 *
 * - legacy clients (2025-03-26 to 2025-11-25) open a session with `initialize` and name it in
 *   `Mcp-Session-Id` afterwards (2025-11-25 basic/transports, "Session Management"). Each
 *   session is its own `McpProxy` with its own upstream connection (a spawned process for a
 *   command upstream), so what the client negotiated reaches the upstream as it was sent;
 * - 2026-07-28 clients POST one stateless request at a time (2026-07-28
 *   basic/transports/streamable-http). They all share one `McpProxy` and upstream through a
 *   {@link ModernHttpLane}: their tasks and `requestState` are signed, not stored, so any
 *   replica with the same secret answers them.
 *
 * Every tools/call, whichever the era, goes through the same gate as on stdio.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isJsonObject } from '@countersign/core';
import { localhostAllowedOrigins, validateOriginHeader } from '@modelcontextprotocol/server';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { CloseReason, McpProxy } from './mcp-proxy.js';
import { HEADER_MISMATCH, ModernHttpLane } from './modern-http-lane.js';
import { claimedVersion } from './protocol-era.js';
import type { UpstreamEra } from './upstream-era.js';

export interface HttpListen {
  host: string;
  port: number;
  /** The MCP endpoint's path; `/mcp` by default. */
  path?: string;
  /** Hostnames a browser's `Origin` may name, besides the loopback ones. */
  allowedOrigins?: string[];
}

export interface McpHttpServerOptions extends HttpListen {
  /**
   * A proxy serving `downstream` over a fresh upstream connection; `era` is the upstream's,
   * once known (the first proxy finds it; the others need not probe again).
   */
  proxyFor: (downstream: Transport, era: UpstreamEra | undefined) => McpProxy;
  log?: (line: string) => void;
}

/** A POST body larger than this is refused with 413 before it is parsed. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** 2026-07-28 basic/transports/streamable-http, "Standard Request Headers": `Mcp-Name`'s source. */
const NAME_SOURCE: Record<string, string> = {
  'tools/call': 'name',
  'resources/read': 'uri',
  'prompts/get': 'name',
};

export class McpHttpServer {
  /** Resolves once the server has stopped: `upstream` when the shared upstream went away. */
  readonly closed: Promise<CloseReason>;
  private resolveClosed: (reason: CloseReason) => void = () => undefined;
  private readonly server: Server;
  private readonly sessions = new Map<string, StreamableHTTPServerTransport>();
  private readonly proxies = new Set<McpProxy>();
  private readonly lane = new ModernHttpLane();
  private modern: McpProxy | undefined;
  private readonly allowed: string[];
  private readonly path: string;
  private readonly log: (line: string) => void;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: McpHttpServerOptions) {
    this.allowed = [...localhostAllowedOrigins(), ...(options.allowedOrigins ?? [])];
    this.path = options.path ?? '/mcp';
    this.log = options.log ?? (() => undefined);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.log(`internal error on an HTTP request: ${String(e)}`);
        if (!res.headersSent) reply(res, 500, 'internal error');
        else res.end();
      });
    });
  }

  /**
   * Starts the shared proxy of the modern lane first (it finds the upstream's era, and a dead
   * upstream fails the start), then listens. Resolves with the endpoint's URL.
   */
  async start(): Promise<string> {
    this.modern = this.options.proxyFor(this.lane, undefined);
    void this.modern.closed.then((reason) => {
      if (reason === 'upstream') void this.close('upstream');
    });
    await this.modern.start();
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${shown}:${address.port}${this.path}`;
  }

  close(reason: CloseReason = 'stopped'): Promise<void> {
    this.closing ??= (async () => {
      this.server.close();
      this.server.closeAllConnections();
      await Promise.allSettled([
        ...[...this.proxies].map((p) => p.close('stopped')),
        this.modern?.close('stopped'),
      ]);
      this.resolveClosed(reason);
    })();
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.path) return reply(res, 404, 'not the MCP endpoint');
    // 2026-07-28 basic/transports/streamable-http, "Security & Endpoint" 1: a present and
    // invalid Origin is refused with 403 (DNS rebinding), before anything else is read.
    const origin = validateOriginHeader(req.headers.origin, this.allowed);
    if (!origin.ok) {
      this.log(`refused a request from Origin ${String(req.headers.origin)}`);
      return reply(res, 403, `Origin not allowed: ${origin.message}`);
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = this.sessions.get(sessionId);
      // 2025-11-25 basic/transports, "Session Management" 4: an unknown session is a 404.
      if (session === undefined) return reply(res, 404, 'Session not found', -32001);
      return session.handleRequest(req, res);
    }
    // 2026-07-28 "Backward Compatibility": GET and DELETE without a session are not served.
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, 'Method not allowed');
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type))
      return reply(res, 415, 'Content-Type must be application/json');
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, 'request body too large');
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return reply(res, 400, 'Parse error', -32700);
    }
    if (isJSONRPCRequest(message) && message.method === 'initialize')
      return this.openSession(req, res, message);
    if (isJSONRPCRequest(message) && claimedVersion(message.params) !== undefined) {
      const mismatch = headerMismatch(req, message);
      if (mismatch !== undefined) {
        return reply(res, 400, `Header mismatch: ${mismatch}`, HEADER_MISMATCH, message.id);
      }
      return this.lane.serve(message, res);
    }
    // 2026-07-28 defines no client notifications over HTTP ("Sending Messages"): accepted, unused.
    if (isJSONRPCNotification(message)) return void res.writeHead(202).end();
    return reply(
      res,
      400,
      'Bad Request: send initialize to open a session, or a 2026-07-28 request with its _meta',
      -32600,
    );
  }

  /** A legacy client's `initialize`: a session of its own, with its own upstream connection. */
  private async openSession(
    req: IncomingMessage,
    res: ServerResponse,
    initialize: JSONRPCRequest,
  ): Promise<void> {
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void this.sessions.set(id, transport),
    });
    const proxy = this.options.proxyFor(transport, this.modern?.era);
    this.proxies.add(proxy);
    void proxy.closed.then(() => {
      this.proxies.delete(proxy);
      if (transport.sessionId !== undefined) this.sessions.delete(transport.sessionId);
    });
    try {
      await proxy.start();
    } catch (e) {
      this.log(`cannot open an upstream session: ${String(e)}`);
      await proxy.close('upstream');
      return reply(res, 502, 'the upstream MCP server cannot be reached', -32603, initialize.id);
    }
    await transport.handleRequest(req, res, initialize);
    // An `initialize` the transport refused opened no session: its upstream goes at once.
    if (transport.sessionId === undefined) await proxy.close('client');
  }
}

/**
 * 2026-07-28 basic/transports/streamable-http, "Server Validation": the headers that mirror the
 * body must be present and agree with it, or an intermediary routing on them could be lied to.
 */
function headerMismatch(req: IncomingMessage, m: JSONRPCRequest): string | undefined {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const version = header('mcp-protocol-version');
  if (version !== claimedVersion(m.params))
    return `MCP-Protocol-Version ${JSON.stringify(version)} does not match the request's _meta`;
  if (header('mcp-method') !== m.method)
    return `Mcp-Method ${JSON.stringify(header('mcp-method'))} does not match ${m.method}`;
  const source = NAME_SOURCE[m.method];
  if (source === undefined) return undefined;
  const name = header('mcp-name');
  const expected = isJsonObject(m.params) ? m.params[source] : undefined;
  if (name === undefined || decodeHeaderValue(name) !== expected)
    return `Mcp-Name ${JSON.stringify(name)} does not match params.${source}`;
  return undefined;
}

/** "Value Encoding": `=?base64?…?=` carries a value that is not plain ASCII. */
function decodeHeaderValue(value: string): string {
  const encoded = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/i.exec(value);
  return encoded ? Buffer.from(encoded[1] ?? '', 'base64').toString('utf8') : value;
}

/** The body as text, or `undefined` when it is over {@link MAX_BODY_BYTES}. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An HTTP error whose body is a JSON-RPC error (without `id` unless one is given). */
function reply(
  res: ServerResponse,
  status: number,
  message: string,
  code = -32000,
  id?: string | number,
): void {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    ...(id === undefined ? {} : { id }),
    error: { code, message },
  });
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
}
