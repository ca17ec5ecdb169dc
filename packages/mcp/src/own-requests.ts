import { randomBytes } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { keyOf } from './json-rpc.js';

/**
 * Requests the proxy makes of the upstream on its own account (listing tools to learn their
 * hints). They share the upstream's id space with the client's requests, so their ids carry a
 * random per-session prefix that no client will use, and their responses are kept from the
 * client.
 */
export class OwnRequests {
  private readonly waiting = new Map<string, (response: JSONRPCMessage) => void>();
  private readonly prefix = `countersign-${randomBytes(6).toString('hex')}-`;
  private count = 0;

  constructor(
    private readonly upstream: Transport,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Sends `method` upstream; resolves with the response message (result or error). */
  send(
    method: string,
    params: Record<string, unknown>,
    timeoutMs = this.timeoutMs,
  ): Promise<JSONRPCMessage> {
    const id = `${this.prefix}${++this.count}`;
    const key = keyOf(id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`${method} timed out`));
      }, timeoutMs);
      this.waiting.set(key, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      this.upstream.send({ jsonrpc: '2.0', id, method, params }).catch((e: unknown) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** Takes the response to one of ours: true when `id` was ours (and it is now settled). */
  settle(id: RequestId, response: JSONRPCMessage): boolean {
    const key = keyOf(id);
    const resolve = this.waiting.get(key);
    if (resolve === undefined) return false;
    this.waiting.delete(key);
    resolve(response);
    return true;
  }
}
