import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { inertLine } from '@countersign/core';
import { GatewayClient } from './gateway-client.js';
import { McpProxy, type CloseReason } from './mcp-proxy.js';
import { McpProxyError } from './mcp-proxy-error.js';
import { TokenSigner } from './signed-token.js';
import { ToolCallGate } from './tool-call-gate.js';
import { McpHttpServer, type HttpListen } from './serve-http.js';
import { openUpstream, type UpstreamSpec } from './upstream.js';
import type { UpstreamEra } from './upstream-era.js';

export interface RunMcpProxyOptions {
  upstream: UpstreamSpec;
  gateway: { url: string; token: string };
  /** The server segment of every action (`mcp.<name>.<tool>`); the upstream's name otherwise. */
  name?: string | undefined;
  /** The `environment` of every request; `"default"` otherwise. */
  environment?: string | undefined;
  /** The person the agent acts for: they may not approve its requests. */
  onBehalfOf?: string | undefined;
  /**
   * The secret that signs task ids and `requestState` (env `COUNTERSIGN_MCP_STATE_SECRET`).
   * Proxies sharing it can answer each other's tasks; unset, a random one per process.
   */
  stateSecret?: string | undefined;
  /**
   * Serve Streamable HTTP on this address instead of stdio (both eras); the caller has checked
   * that a non-loopback host was asked for explicitly.
   */
  listen?: HttpListen | undefined;
  /** Where the proxy's log lines go; stdout belongs to the protocol. */
  log?: (line: string) => void;
}

/**
 * Serves MCP on this process's stdin/stdout (or over Streamable HTTP with `listen`), relaying to
 * the upstream through the gateway's decisions, until the client closes stdin, the upstream goes
 * away, or SIGINT/SIGTERM.
 * Resolves with the exit code: 0, or 1 when the upstream ended the session.
 *
 * @example
 * process.exitCode = await runMcpProxy({
 *   upstream: { kind: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'] },
 *   gateway: { url: 'http://localhost:8080', token: process.env.COUNTERSIGN_TOKEN ?? '' },
 * });
 */
export async function runMcpProxy(options: RunMcpProxyOptions): Promise<number> {
  // Lines carry outside text (an upstream's error, a request's Origin): one line, inert, for
  // the host's MCP server log that people read.
  const log =
    options.log ??
    ((line: string) => process.stderr.write(`countersign mcp-proxy: ${inertLine(line)}\n`));
  const secret = options.stateSecret ?? process.env.COUNTERSIGN_MCP_STATE_SECRET;
  if (secret === undefined || secret === '')
    log('no --state-secret: task ids and requestState are only valid in this process');
  const client = new GatewayClient(options.gateway);
  const signer = new TokenSigner(secret);
  // One gate per proxy: closing one withdraws only its own waiting requests.
  const proxyFor = (downstream: Transport, era: UpstreamEra | undefined) =>
    new McpProxy({
      downstream,
      upstream: openUpstream(options.upstream),
      gate: new ToolCallGate({
        client,
        environment: options.environment ?? 'default',
        onBehalfOf: options.onBehalfOf,
        log,
      }),
      name: options.name,
      log,
      // The era probe of both bindings' "Backward Compatibility" sections.
      probe: { timeoutMs: 5_000 },
      upstreamEra: era,
      signer,
      gatewayUrl: options.gateway.url,
    });
  if (options.listen !== undefined) return serveHttp(options.listen, proxyFor, log);
  const proxy = proxyFor(new StdioServerTransport(process.stdin, process.stdout), undefined);
  // The SDK's stdio server transport never notices the end of stdin, which is how MCP hosts
  // say goodbye (MCP spec, stdio shutdown): without this the upstream would outlive us.
  const bye = () => void proxy.close('client');
  process.stdin.once('end', bye);
  process.stdin.once('close', bye);
  const stop = () => void proxy.close('stopped');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await proxy.start();
  } catch (e) {
    await proxy.close('upstream');
    throw new McpProxyError(
      'upstream_failed',
      `cannot start the upstream MCP server: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const reason: CloseReason = await proxy.closed;
  if (reason === 'upstream') log('the upstream MCP server went away');
  return reason === 'upstream' ? 1 : 0;
}

/** Serves Streamable HTTP until SIGINT/SIGTERM (0) or the shared upstream goes away (1). */
async function serveHttp(
  listen: HttpListen,
  proxyFor: (downstream: Transport, era: UpstreamEra | undefined) => McpProxy,
  log: (line: string) => void,
): Promise<number> {
  const server = new McpHttpServer({ ...listen, proxyFor, log });
  const stop = () => void server.close('stopped');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    log(`serving MCP over Streamable HTTP at ${await server.start()}`);
  } catch (e) {
    await server.close('upstream');
    throw new McpProxyError(
      'upstream_failed',
      `cannot serve MCP over HTTP: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const reason = await server.closed;
  if (reason === 'upstream') log('the upstream MCP server went away');
  return reason === 'upstream' ? 1 : 0;
}
