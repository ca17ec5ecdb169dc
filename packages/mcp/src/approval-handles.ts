/**
 * The two things the proxy hands to a 2026-07-28 client to come back with, both signed with the
 * proxy secret (signed-token.ts) and bound to one tool call:
 *
 * - a **task id** (Tasks extension, "Task Creation") for a call waiting for approval. It carries
 *   the gateway request id and the call itself (server, tool, arguments), so `tasks/get` on any
 *   proxy with the same secret can ask the gateway and, once approved, make the call: no task
 *   table to lose.
 * - a **`requestState`** (2026-07-28 basic/patterns/mrtr) for a retried `tools/call`: the
 *   gateway request id, a digest of the call, and, when the upstream asked for input itself, the
 *   upstream's own state. A state minted for one call is refused on any other.
 * @module
 */
import { createHash } from 'node:crypto';
import { isJsonObject, type JsonObject } from '@countersign/core';
import type { JSONRPCErrorResponse, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { TokenError, type TokenSigner } from './signed-token.js';

/** Which handle came back wrong, named as the client sent it. */
export type HandleKind = 'taskId' | 'requestState';

/** The call a handle is for; the server is the action's server segment. */
export interface BoundCall {
  server: string;
  tool: string;
  arguments: JsonObject;
}

export interface StateClaims {
  actionId: string;
  /** Set once the call was approved and forwarded: the upstream's own `requestState`, if any. */
  forwarded: boolean;
  upstreamState: string | undefined;
}

/** A call's identity: sorted-key JSON, hashed, so key order cannot make two calls differ. */
export function callDigest(call: BoundCall): string {
  return createHash('sha256')
    .update(canonical([call.server, call.tool, call.arguments]))
    .digest('base64url');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isJsonObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export class ApprovalHandles {
  constructor(private readonly signer: TokenSigner) {}

  task(call: BoundCall, actionId: string, createdAt: number, expiresAt: number): string {
    return this.signer.sign(
      'task',
      { a: actionId, c: createdAt, s: call.server, t: call.tool, args: call.arguments },
      expiresAt,
    );
  }

  /** The request and call behind a task id; throws `TokenError`. */
  readTask(taskId: unknown): {
    actionId: string;
    call: BoundCall;
    createdAt: number;
    expiresAt: number;
  } {
    const p = this.signer.verify('task', taskId);
    if (
      typeof p.a !== 'string' ||
      typeof p.c !== 'number' ||
      typeof p.exp !== 'number' ||
      typeof p.s !== 'string' ||
      typeof p.t !== 'string' ||
      !isJsonObject(p.args)
    )
      throw new TokenError('malformed');
    return {
      actionId: p.a,
      createdAt: p.c,
      expiresAt: p.exp,
      call: { server: p.s, tool: p.t, arguments: p.args },
    };
  }

  state(call: BoundCall, claims: StateClaims, expiresAt: number): string {
    return this.signer.sign(
      'state',
      {
        a: claims.actionId,
        d: callDigest(call),
        f: claims.forwarded,
        ...(claims.upstreamState === undefined ? {} : { u: claims.upstreamState }),
      },
      expiresAt,
    );
  }

  /** The claims of a `requestState`, only if it was minted for this very call; throws `TokenError`. */
  readState(state: unknown, call: BoundCall): StateClaims {
    const p = this.signer.verify('state', state);
    if (typeof p.a !== 'string' || typeof p.d !== 'string' || typeof p.f !== 'boolean')
      throw new TokenError('malformed');
    if (p.d !== callDigest(call)) throw new TokenError('other_call');
    return {
      actionId: p.a,
      forwarded: p.f,
      upstreamState: typeof p.u === 'string' ? p.u : undefined,
    };
  }
}

/**
 * The answer to a handle that does not verify: JSON-RPC Invalid Params (-32602), the code the
 * 2.x SDK's own `requestState` check uses, with a stable `data.reason` and what was wrong.
 */
export function invalidHandle(
  id: RequestId,
  e: unknown,
  what: HandleKind,
): JSONRPCErrorResponse & { error: { data: { reason: string; detail: string } } } {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: -32602,
      message: `Invalid or expired ${what}`,
      data: {
        reason: what === 'taskId' ? 'invalid_task_id' : 'invalid_request_state',
        detail: e instanceof TokenError ? e.failure : 'malformed',
      },
    },
  };
}
