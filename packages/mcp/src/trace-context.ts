/**
 * W3C Trace Context carried in a request's `_meta` (MCP 2026-07-28 changelog, minor change 2:
 * the `traceparent` / `tracestate` `_meta` keys, SEP-414). The proxy passes them on as HTTP
 * headers of its gateway calls for that request, so the gateway's spans join the host's trace.
 * Agent-controlled, so only well-formed values pass; a malformed one is dropped, not repaired.
 * @module
 */
import { isJsonObject } from '@countersign/core';

export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/**
 * W3C Trace Context §3.2.2: `version-traceid-parentid-flags`, lower-case hex. Version `ff` is
 * invalid (§3.2.2.1), and so are an all-zero trace-id (§3.2.2.3) and parent-id (§3.2.2.4).
 * Only version `00` is parsed; §3.2.4 lets a parser accept a higher version's prefix, but the
 * gateway gets exactly what it can read.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** W3C Trace Context §3.3.1: list-members `key=value`, at most 32 (§3.3.1.1), 512 chars in all. */
const TRACESTATE_KEY =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

export function isTraceparent(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = TRACEPARENT.exec(value);
  return m !== null && !/^0+$/.test(m[1] ?? '') && !/^0+$/.test(m[2] ?? '');
}

export function isTracestate(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 512) return false;
  const members = value.split(',').map((m) => m.trim());
  if (members.length > 32) return false;
  const keys = new Set<string>();
  for (const member of members) {
    if (member === '') continue; // §3.3.1: empty list-members are allowed and ignored
    const eq = member.indexOf('=');
    const key = member.slice(0, eq);
    if (eq <= 0 || !TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(eq + 1)))
      return false;
    if (keys.has(key)) return false; // §3.3.1.1: keys are unique
    keys.add(key);
  }
  return keys.size > 0;
}

/**
 * The trace context of a request's `_meta`, or undefined. `tracestate` without a valid
 * `traceparent` is dropped too (§3.3: vendors MUST NOT use it alone).
 */
export function traceContextOf(meta: unknown): TraceContext | undefined {
  if (!isJsonObject(meta) || !isTraceparent(meta.traceparent)) return undefined;
  return {
    traceparent: meta.traceparent,
    ...(isTracestate(meta.tracestate) ? { tracestate: meta.tracestate } : {}),
  };
}
