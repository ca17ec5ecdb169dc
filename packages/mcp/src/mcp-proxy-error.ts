/**
 * The proxy's one error type. Codes are the contract (tests match on them); messages are for
 * the person reading the MCP host's log and may change.
 * @module
 */

export type McpProxyErrorCode =
  /** Bad flags: no upstream, two upstreams, no agent token. */
  | 'usage'
  /** The gateway did not answer (network error, timeout, 502/503/504): fail closed. */
  | 'gateway_unreachable'
  /** The gateway answered with a problem (4xx, 500); `problem` carries its stable code. */
  | 'gateway_refused'
  /** The gateway answered 2xx with a body that is not what the API documents. */
  | 'gateway_malformed'
  /** The MCP client cancelled the tool call while it was waiting for a decision. */
  | 'cancelled'
  /** The upstream MCP server could not be started or reached. */
  | 'upstream_failed';

export class McpProxyError extends Error {
  override readonly name = 'McpProxyError';
  constructor(
    readonly code: McpProxyErrorCode,
    message: string,
    /** For `gateway_refused`: the gateway's problem `code` (docs/api.md) and HTTP status. */
    readonly problem?: { code: string; status: number },
  ) {
    super(message);
  }
}

export function isMcpProxyError(e: unknown): e is McpProxyError {
  return e instanceof McpProxyError;
}

/** An error's message for a log line or a refusal, whatever was thrown. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
