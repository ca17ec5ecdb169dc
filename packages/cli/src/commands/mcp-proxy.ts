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
}

/**
 * `mcp-proxy [flags] -- <upstream command…>` or `mcp-proxy --upstream URL`: an MCP server on
 * stdio that asks the gateway before every tools/call (docs/mcp.md). Resolves with the exit
 * code once the MCP client disconnects. Usage errors go to stderr: stdout is the protocol's.
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
  const { url, token } = apiOptions(flags);
  if (!token) return usage('no agent token: pass --token or set COUNTERSIGN_TOKEN');
  return runMcpProxy({
    upstream,
    gateway: { url, token },
    name: flags.name,
    environment: flags.environment,
    onBehalfOf: flags.onBehalfOf,
    stateSecret: flags.stateSecret,
  });
}
