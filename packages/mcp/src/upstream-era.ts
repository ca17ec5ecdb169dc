/**
 * Which era the upstream speaks, found the way the stdio binding prescribes for a dual-era
 * client (2026-07-28 basic/transports/stdio, "Backward Compatibility"): probe with
 * `server/discover` before anything else. A `DiscoverResult` that offers 2026-07-28 means
 * modern; a recognized modern error (`UnsupportedProtocolVersionError`) means modern at a version
 * the proxy does not speak, which is an error, not a fallback; any other error, or silence,
 * means legacy. The verdict holds for the life of the upstream process.
 * @module
 */
import { isJsonObject, type JsonObject } from '@countersign/core';
import {
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
} from '@modelcontextprotocol/sdk/types.js';
import { McpProxyError } from './mcp-proxy-error.js';
import type { OwnRequests } from './own-requests.js';
import {
  CLIENT_CAPABILITIES_KEY,
  CLIENT_INFO_KEY,
  MODERN_VERSION,
  PROTOCOL_VERSION_KEY,
  UNSUPPORTED_PROTOCOL_VERSION,
} from './protocol-era.js';

export type UpstreamEra = { era: 'legacy' } | { era: 'modern'; discover: JsonObject };

export const PROXY_INFO = { name: 'countersign-mcp-proxy', version: '0.1.0' };

export async function probeUpstreamEra(own: OwnRequests, timeoutMs: number): Promise<UpstreamEra> {
  let response;
  try {
    response = await own.send(
      'server/discover',
      {
        _meta: {
          [PROTOCOL_VERSION_KEY]: MODERN_VERSION,
          [CLIENT_INFO_KEY]: PROXY_INFO,
          [CLIENT_CAPABILITIES_KEY]: {},
        },
      },
      timeoutMs,
    );
  } catch {
    return { era: 'legacy' }; // silence: "does not respond within a reasonable timeout"
  }
  if (isJSONRPCResultResponse(response)) {
    const versions = response.result.supportedVersions;
    if (Array.isArray(versions) && versions.includes(MODERN_VERSION))
      return { era: 'modern', discover: response.result as JsonObject };
    return { era: 'legacy' };
  }
  if (isJSONRPCErrorResponse(response) && response.error.code === UNSUPPORTED_PROTOCOL_VERSION) {
    const data = response.error.data;
    const supported = isJsonObject(data) ? JSON.stringify(data.supported) : 'none named';
    throw new McpProxyError(
      'upstream_failed',
      `the upstream is a modern MCP server without ${MODERN_VERSION} (it supports ${supported})`,
    );
  }
  return { era: 'legacy' };
}
