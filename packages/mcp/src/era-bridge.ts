/**
 * The answers the proxy gives in place of the upstream when client and upstream speak different
 * eras (2026-07-28 basic/versioning, "Backward Compatibility with Initialization-Based
 * Versions"): `initialize` for a legacy client over a modern upstream, and `server/discover`
 * for a modern client, whichever the upstream.
 * @module
 */
import { isJsonObject, type JsonObject } from '@countersign/core';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import {
  LEGACY_VERSION,
  MODERN_VERSION,
  SERVER_INFO_KEY,
  TASKS_EXTENSION,
  metaOf,
  omit,
} from './protocol-era.js';

/**
 * `initialize`'s result from a modern upstream's `DiscoverResult`: the client's version if it
 * is a legacy one the proxy knows, else 2025-11-25; the capabilities without `extensions`, a
 * 2026-07-28 field (basic/versioning, "Extension Negotiation").
 */
export function legacyInitializeResult(
  discover: JsonObject,
  requested: unknown,
  fallbackName: string,
): JsonObject {
  const info = metaOf(discover)[SERVER_INFO_KEY];
  const capabilities = omit(
    isJsonObject(discover.capabilities) ? discover.capabilities : {},
    'extensions',
  );
  const known = typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested);
  return {
    protocolVersion: known ? requested : LEGACY_VERSION,
    capabilities,
    serverInfo: isJsonObject(info) ? info : { name: fallbackName, version: '' },
    ...(typeof discover.instructions === 'string' ? { instructions: discover.instructions } : {}),
  };
}

/** What a legacy upstream's `initialize` result says, in the shape of a `DiscoverResult`. */
export function discoveryFromInitialize(init: JsonObject): JsonObject {
  return {
    capabilities: isJsonObject(init.capabilities) ? init.capabilities : {},
    ...(typeof init.instructions === 'string' ? { instructions: init.instructions } : {}),
    _meta: { [SERVER_INFO_KEY]: isJsonObject(init.serverInfo) ? init.serverInfo : {} },
  };
}

/**
 * The proxy's `server/discover` result (2026-07-28 server/discover): the upstream's
 * capabilities and identity, `supportedVersions` the proxy serves statelessly, and the Tasks
 * extension, which the proxy itself serves (ext-tasks, "Capability Negotiation").
 */
export function proxyDiscoverResult(upstream: JsonObject): JsonObject {
  const capabilities = isJsonObject(upstream.capabilities) ? upstream.capabilities : {};
  const extensions = isJsonObject(capabilities.extensions) ? capabilities.extensions : {};
  return {
    ...upstream,
    resultType: 'complete',
    supportedVersions: [MODERN_VERSION],
    capabilities: { ...capabilities, extensions: { ...extensions, [TASKS_EXTENSION]: {} } },
  };
}
