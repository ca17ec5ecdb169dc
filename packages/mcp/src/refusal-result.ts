import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Status } from '@countersign/core';

/**
 * A refused call as a tool result with `isError: true`, not a JSON-RPC error: the MCP spec
 * puts tool execution errors in the result "so the LLM can see that an error occurred and
 * potentially self-correct", and a refusal with its reason is exactly that. The request id and
 * status ride along in `_meta` for hosts that want to link to the request.
 */
export function refusalResult(
  text: string,
  request: { id: string | null; status: Status | null },
): CallToolResult {
  return {
    content: [{ type: 'text', text }],
    isError: true,
    ...(request.id === null
      ? {}
      : { _meta: { 'countersign/request': { id: request.id, status: request.status } } }),
  };
}
