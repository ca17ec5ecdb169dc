/**
 * The proxy's downstream for 2026-07-28 clients over Streamable HTTP: every POST is one
 * request and its answer (2026-07-28 basic/transports/streamable-http, "Sending Messages"), with
 * no session. All such POSTs, from any number of clients, share one `McpProxy` through this
 * transport; it gives each request an id of its own, so two clients' `id: 1` never meet, and
 * routes the answer (and the progress notifications before it) back to the POST it belongs to.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { isJsonObject, type JsonObject } from '@countersign/core';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { keyOf } from './json-rpc.js';
import {
  MISSING_REQUIRED_CLIENT_CAPABILITY,
  UNSUPPORTED_PROTOCOL_VERSION,
  metaOf,
} from './protocol-era.js';

/** 2026-07-28 basic/transports/streamable-http, "Server Validation". */
export const HEADER_MISMATCH = -32020;

/** One POST waiting for its answer. */
interface Exchange {
  id: RequestId;
  res: ServerResponse;
  progressToken: string | number | undefined;
  /** Set once a notification turned the answer into an SSE stream. */
  streaming: boolean;
}

export class ModernHttpLane implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly exchanges = new Map<string, Exchange>();
  /** Rewritten progress tokens, to the exchange key. */
  private readonly progress = new Map<string, string>();
  private count = 0;

  async start(): Promise<void> {}

  /**
   * Serves one POSTed request: hands it to the proxy under a fresh id and answers the POST
   * when the proxy answers it. A client that closes the response stream cancels the request
   * ("Cancellation"): the proxy hears `notifications/cancelled` for it.
   */
  serve(request: JSONRPCRequest, res: ServerResponse): void {
    const internal = `http-${++this.count}`;
    const key = keyOf(internal);
    const params = isJsonObject(request.params) ? request.params : {};
    const meta = metaOf(params);
    const token = meta.progressToken;
    const progressToken =
      typeof token === 'string' || typeof token === 'number' ? token : undefined;
    const exchange: Exchange = { id: request.id, res, progressToken, streaming: false };
    this.exchanges.set(key, exchange);
    let outgoing: JsonObject = params;
    if (progressToken !== undefined) {
      // Two clients may use the same token: the proxy (and the upstream) see one of ours.
      this.progress.set(keyOf(internal), key);
      outgoing = { ...params, _meta: { ...meta, progressToken: internal } };
    }
    res.once('close', () => {
      if (!this.exchanges.has(key)) return;
      this.forget(key);
      this.onmessage?.({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: internal, reason: 'the client closed the response stream' },
      });
    });
    this.onmessage?.({ ...request, id: internal, params: outgoing });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const key = message.id === undefined ? undefined : keyOf(message.id);
      const exchange = key === undefined ? undefined : this.exchanges.get(key);
      if (key === undefined || exchange === undefined) return; // the client went away
      this.forget(key);
      return this.finish(exchange, { ...message, id: exchange.id });
    }
    if (isJSONRPCNotification(message) && message.method === 'notifications/progress') {
      const params = isJsonObject(message.params) ? message.params : {};
      const token = params.progressToken;
      const key =
        typeof token === 'string' || typeof token === 'number'
          ? this.progress.get(keyOf(token))
          : undefined;
      const exchange = key === undefined ? undefined : this.exchanges.get(key);
      if (exchange === undefined || exchange.progressToken === undefined) return;
      return this.stream(exchange, {
        ...message,
        params: { ...params, progressToken: exchange.progressToken },
      });
    }
    // Nothing else has a POST to go to: list changes and log messages belong to
    // `subscriptions/listen` streams, which this lane does not serve (docs/mcp.md).
  }

  async close(): Promise<void> {
    for (const [key, exchange] of this.exchanges) {
      this.forget(key);
      if (!exchange.res.headersSent) exchange.res.writeHead(503).end();
      else exchange.res.end();
    }
    this.onclose?.();
  }

  private forget(key: string): void {
    this.exchanges.delete(key);
    for (const [token, owner] of this.progress) if (owner === key) this.progress.delete(token);
  }

  /** A notification before the answer: the response becomes an SSE stream ("Receiving Messages"). */
  private stream(exchange: Exchange, message: JSONRPCMessage): void {
    if (!exchange.streaming) {
      exchange.streaming = true;
      exchange.res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
    }
    exchange.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  private finish(exchange: Exchange, message: JSONRPCMessage): void {
    if (exchange.streaming) {
      this.stream(exchange, message);
      exchange.res.end();
      return;
    }
    const body = JSON.stringify(message);
    exchange.res
      .writeHead(httpStatusOf(message), {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      })
      .end(body);
  }
}

/**
 * The HTTP status of a JSON answer: the modern errors a client probes for are `400`, an
 * unknown method `404` ("Protocol Version Header"); everything else, refusals included, `200`.
 */
export function httpStatusOf(message: JSONRPCMessage): number {
  if (!isJSONRPCErrorResponse(message)) return 200;
  const code = message.error.code;
  if (
    code === HEADER_MISMATCH ||
    code === UNSUPPORTED_PROTOCOL_VERSION ||
    code === MISSING_REQUIRED_CLIENT_CAPABILITY
  )
    return 400;
  return code === -32601 ? 404 : 200;
}
