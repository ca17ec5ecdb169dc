import { runMcpProxy, type UpstreamSpec } from '@countersign/mcp';
import { apiOptions } from '../api-client.js';
import { EXIT } from '../cli-error.js';

export interface McpProxyFlags {
  name?: string;
  url?: string;
  token?: string;
  environment?: string;
  onBehalfOf?: string;
  upstream?: string;
  header?: string[];
  stateSecret?: string;
  listen?: string;
  path?: string;
  allowOrigin?: string[];
  allowRemote?: boolean;
}

/** Loopback addresses: `--listen` anywhere else needs `--allow-remote`. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** `--listen HOST:PORT` (`[::1]:PORT` for IPv6), or why not. */
function parseListen(value: string): { host: string; port: number } | string {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) return `--listen ${value}: expected HOST:PORT, e.g. 127.0.0.1:8931`;
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

/**
 * `mcp-proxy [flags] -- <upstream command…>` or `mcp-proxy --upstream URL`: an MCP server on
 * stdio (or Streamable HTTP with `--listen`) that asks the gateway before every tools/call
 * (docs/mcp.md). Resolves with the exit code once the MCP client disconnects. Usage errors go to
 * stderr: stdout is the protocol's.
 */
export async function mcpProxy(command: string[], flags: McpProxyFlags): Promise<number> {
  const usage = (message: string) => {
    process.stderr.write(`countersign mcp-proxy: ${message}\n`);
    return EXIT.usage;
  };
  const [program, ...args] = command;
  let upstream: UpstreamSpec;
  if (flags.upstream !== undefined) {
    if (program !== undefined)
      return usage('give an upstream command after -- or --upstream URL, not both');
    let url: URL;
    try {
      url = new URL(flags.upstream);
    } catch {
      return usage(`--upstream ${flags.upstream}: not a URL`);
    }
    const headers: Record<string, string> = {};
    for (const h of flags.header ?? []) {
      const colon = h.indexOf(':');
      if (colon <= 0) return usage(`--header ${h}: expected "Name: value"`);
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    upstream = { kind: 'http', url, headers };
  } else if (program !== undefined) {
    if (flags.header !== undefined) return usage('--header is for --upstream URL');
    upstream = { kind: 'stdio', command: program, args };
  } else {
    return usage('no upstream: mcp-proxy [options] -- <command…>, or --upstream URL');
  }
  let listen;
  if (flags.listen !== undefined) {
    const parsed = parseListen(flags.listen);
    if (typeof parsed === 'string') return usage(parsed);
    // 2026-07-28 basic/transports/streamable-http, "Security & Endpoint" 2: loopback unless asked.
    if (!LOOPBACK.test(parsed.host) && flags.allowRemote !== true)
      return usage(`--listen ${flags.listen} is not a loopback address: add --allow-remote`);
    if (!(flags.path ?? '/mcp').startsWith('/')) return usage('--path must start with /');
    listen = { ...parsed, path: flags.path ?? '/mcp', allowedOrigins: flags.allowOrigin ?? [] };
  } else if (flags.allowOrigin !== undefined || flags.allowRemote === true) {
    return usage('--allow-origin and --allow-remote are for --listen');
  }
  const { url, token } = apiOptions(flags);
  if (!token) return usage('no agent token: pass --token or set COUNTERSIGN_TOKEN');
  return runMcpProxy({
    listen,
    upstream,
    gateway: { url, token },
    name: flags.name,
    environment: flags.environment,
    onBehalfOf: flags.onBehalfOf,
    stateSecret: flags.stateSecret,
  });
}
