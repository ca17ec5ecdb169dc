import { createHash, randomUUID } from 'node:crypto';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

/**
 * Deterministic idempotency keys, one per `tools/call`: a hash of the proxy session, the call's
 * JSON-RPC id and how many earlier calls of this session used that id. Retrying the submit
 * after a network error sends the same key, so the gateway answers with the request it already
 * has instead of opening a second one.
 *
 * The session is random per proxy process: JSON-RPC ids restart at 0 with every connection, and
 * a key shared across sessions would replay an old decision (possibly an approval) for a new
 * call. The occurrence count covers a client that reuses an id once its call has finished
 * (JSON-RPC only requires ids to be unique among requests in flight).
 */
export class IdempotencyKeys {
  private readonly seen = new Map<string, number>();

  constructor(readonly session: string = randomUUID()) {}

  next(requestId: RequestId): string {
    const id = `${typeof requestId}:${requestId}`;
    const n = this.seen.get(id) ?? 0;
    this.seen.set(id, n + 1);
    const hash = createHash('sha256').update(`${this.session}\n${id}\n${n}`).digest('hex');
    return `mcp-${hash.slice(0, 48)}`;
  }
}
