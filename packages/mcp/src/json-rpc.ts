import type {
  JSONRPCErrorResponse,
  JSONRPCResultResponse,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** A map key for a JSON-RPC id: ids are `string | number`, and `1` is not `"1"`. */
export const keyOf = (id: RequestId): string => `${typeof id}:${id}`;

export function resultResponse(
  id: RequestId,
  result: JSONRPCResultResponse['result'],
): JSONRPCResultResponse {
  return { jsonrpc: '2.0', id, result };
}

export function errorResponse(id: RequestId, code: number, message: string): JSONRPCErrorResponse {
  return { jsonrpc: '2.0', id, error: { code, message } };
}
