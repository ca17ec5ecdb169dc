import { canonicalJson } from './canonical-json.js';
import type { JsonObject } from './wire-types.js';

/** The fields an approval is bound to. */
export interface DigestInput {
  action: string;
  resource: string;
  /** Default `"default"`, as the gateway defaults it. */
  environment?: string;
  /** Default `{}`. */
  params?: JsonObject;
}

/**
 * The digest a grant is bound to: `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of
 * `{action, resource, environment, params}` (docs/api.md, "The digest"), computed with
 * WebCrypto so the SDK runs wherever `crypto.subtle` does.
 *
 * @example
 * await actionDigest({ action: 'db.export', resource: 'postgres://prod/customers',
 *   environment: 'production', params: { rows: 500 } }); // 'sha256:…'
 */
export async function actionDigest(spec: DigestInput): Promise<string> {
  const canonical = canonicalJson({
    action: spec.action,
    resource: spec.resource,
    environment: spec.environment ?? 'default',
    params: spec.params ?? {},
  });
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical));
  return `sha256:${[...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
