/**
 * The two eras of MCP the proxy speaks (2026-07-28 basic/versioning, "Terminology"): legacy
 * revisions open a session with `initialize`; the modern revision 2026-07-28 has no handshake
 * and carries its version and the client's capabilities in every request's `_meta`.
 * @module
 */
import { isJsonObject, type JsonObject } from '@countersign/core';

export type Era = 'legacy' | 'modern';

export const MODERN_VERSION = '2026-07-28';
/** The legacy revision the proxy offers when it opens a legacy session itself. */
export const LEGACY_VERSION = '2025-11-25';

export const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
export const CLIENT_CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
export const CLIENT_INFO_KEY = 'io.modelcontextprotocol/clientInfo';
export const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** 2026-07-28 basic/index "Error codes": the codes the specification reserves. */
export const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

export function metaOf(params: unknown): JsonObject {
  if (!isJsonObject(params) || !isJsonObject(params._meta)) return {};
  return params._meta;
}

/** The protocol version a request claims in `_meta`, if any. */
export function claimedVersion(params: unknown): string | undefined {
  const v = metaOf(params)[PROTOCOL_VERSION_KEY];
  return typeof v === 'string' ? v : undefined;
}

export function clientCapabilitiesOf(params: unknown): JsonObject {
  const caps = metaOf(params)[CLIENT_CAPABILITIES_KEY];
  return isJsonObject(caps) ? caps : {};
}

/** Tasks extension, "Capability Negotiation": declared per request, in that request's `_meta`. */
export function declaresTasks(params: unknown): boolean {
  const ext = clientCapabilitiesOf(params).extensions;
  return isJsonObject(ext) && isJsonObject(ext[TASKS_EXTENSION]);
}

/** 2026-07-28 client/elicitation: URL mode only when the client declares it explicitly. */
export function declaresUrlElicitation(params: unknown): boolean {
  const elicitation = clientCapabilitiesOf(params).elicitation;
  return isJsonObject(elicitation) && isJsonObject(elicitation.url);
}

/** `object` without `keys` (a copy). */
export function omit(object: JsonObject, ...keys: string[]): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([k]) => !keys.includes(k)));
}

/** `params` without the modern envelope keys, for a legacy upstream. */
export function withoutModernMeta(params: JsonObject): JsonObject {
  if (!isJsonObject(params._meta)) return params;
  const meta = Object.fromEntries(
    Object.entries(params._meta).filter(([k]) => !k.startsWith('io.modelcontextprotocol/')),
  );
  const rest = omit(params, '_meta');
  return Object.keys(meta).length === 0 ? rest : { ...rest, _meta: meta };
}

/** `params` with the modern envelope (2026-07-28 basic/versioning), for a modern upstream. */
export function withModernMeta(
  params: JsonObject,
  client: { capabilities: JsonObject; info: JsonObject },
): JsonObject {
  return {
    ...params,
    _meta: {
      ...metaOf(params),
      [PROTOCOL_VERSION_KEY]: MODERN_VERSION,
      [CLIENT_CAPABILITIES_KEY]: client.capabilities,
      [CLIENT_INFO_KEY]: client.info,
    },
  };
}

/** 2026-07-28 server/utilities/caching: these results carry `ttlMs` and `cacheScope`. */
const CACHEABLE = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

/**
 * A legacy upstream's result as a 2026-07-28 client must get it: with `resultType` (changelog,
 * major change 8) and, where cacheable, `ttlMs: 0` (immediately stale: the legacy server gave
 * no freshness) and `cacheScope: "private"` (changelog, minor change 5).
 */
export function asModernResult(method: string, result: JsonObject): JsonObject {
  const cache: JsonObject = CACHEABLE.has(method) ? { ttlMs: 0, cacheScope: 'private' } : {};
  return { resultType: 'complete', ...cache, ...result };
}

/** A result for a 2026-07-28 client: every result carries `resultType` (changelog 8). */
export function complete<T extends object>(result: T): T & { resultType: string } {
  return { resultType: 'complete', ...result };
}
