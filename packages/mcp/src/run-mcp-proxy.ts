import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GatewayClient } from './gateway-client.js';
import { McpProxy, type CloseReason } from './mcp-proxy.js';
import { McpProxyError } from './mcp-proxy-error.js';
import { TokenSigner } from './signed-token.js';
import { ToolCallGate } from './tool-call-gate.js';
import { openUpstream, type UpstreamSpec } from './upstream.js';

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
  /** Where the proxy's log lines go; stdout belongs to the protocol. */
  log?: (line: string) => void;
}

/**
 * Serves MCP on this process's stdin/stdout, relaying to the upstream through the gateway's
 * decisions, until the client closes stdin, the upstream goes away, or SIGINT/SIGTERM.
 * Resolves with the exit code: 0, or 1 when the upstream ended the session.
 *
 * @example
 * process.exitCode = await runMcpProxy({
 *   upstream: { kind: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'] },
 *   gateway: { url: 'http://localhost:8080', token: process.env.COUNTERSIGN_TOKEN ?? '' },
 * });
 */
export async function runMcpProxy(options: RunMcpProxyOptions): Promise<number> {
  const log =
    options.log ?? ((line: string) => process.stderr.write(`countersign mcp-proxy: ${line}\n`));
  const secret = options.stateSecret ?? process.env.COUNTERSIGN_MCP_STATE_SECRET;
  if (secret === undefined || secret === '')
    log('no --state-secret: task ids and requestState are only valid in this process');
  const proxy = new McpProxy({
    downstream: new StdioServerTransport(process.stdin, process.stdout),
    upstream: openUpstream(options.upstream),
    gate: new ToolCallGate({
      client: new GatewayClient(options.gateway),
      environment: options.environment ?? 'default',
      onBehalfOf: options.onBehalfOf,
      log,
    }),
    name: options.name,
    log,
    // The stdio binding's era probe; over HTTP the proxy speaks legacy (docs/mcp.md).
    probe: options.upstream.kind === 'stdio' ? { timeoutMs: 5_000 } : false,
    signer: new TokenSigner(secret),
    gatewayUrl: options.gateway.url,
  });
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
