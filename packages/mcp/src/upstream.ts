import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** Where the real MCP server is: a command to spawn (stdio) or a Streamable HTTP endpoint. */
export type UpstreamSpec =
  | { kind: 'stdio'; command: string; args: string[]; cwd?: string }
  | { kind: 'http'; url: URL; headers?: Record<string, string> };

/**
 * Environment variables the upstream does not get. The agent token is the proxy's credential,
 * not the upstream's: a tool server holding it could file (and wait on) requests as the agent.
 */
const WITHHELD = ['COUNTERSIGN_TOKEN'];

/**
 * The upstream's environment: the proxy's own, minus the withheld names. MCP hosts put a
 * server's secrets (`GITHUB_TOKEN`, …) in the `env` of its config entry, which is now the
 * proxy's; the SDK's default would pass on only HOME, PATH and a few others.
 */
export function upstreamEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !WITHHELD.includes(name)) out[name] = value;
  }
  return out;
}

/** The transport towards the upstream; for HTTP, closing also ends the session (DELETE). */
export function openUpstream(spec: UpstreamSpec): Transport {
  if (spec.kind === 'stdio') {
    return new StdioClientTransport({
      command: spec.command,
      args: spec.args,
      env: upstreamEnv(),
      // The upstream's log goes where ours goes: the MCP host's log for this server.
      stderr: 'inherit',
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    });
  }
  // The 2.x transport speaks both eras: the 2026-07-28 headers (`MCP-Protocol-Version`,
  // `Mcp-Method`, `Mcp-Name`) on requests carrying the modern `_meta`, sessions for the legacy
  // era, and a modern error in a 400 is an answer, not a failure (2026-07-28
  // basic/transports/streamable-http, "Backward Compatibility"), which the era probe relies on.
  const transport = new StreamableHTTPClientTransport(spec.url, {
    requestInit: { headers: spec.headers ?? {} },
  });
  const close = transport.close.bind(transport);
  // "Clients that no longer need a particular session SHOULD send an HTTP DELETE" (MCP spec,
  // Streamable HTTP, Session Management); a server may answer 405, which changes nothing.
  transport.close = async () => {
    await transport.terminateSession().catch(() => undefined);
    await close();
  };
  return transport;
}
