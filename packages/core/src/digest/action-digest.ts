import { hash } from 'node:crypto';
import type { ActionSpec } from '../model/action-request.js';
import { canonicalJson } from './canonical-json.js';

/**
 * The digest an approval and a grant are bound to: SHA-256 over the RFC 8785 canonical JSON
 * of exactly `{action, resource, environment, params}` (PRODUCT.md, "Concepts").
 * Justification, risk and context are deliberately outside it: they describe the request,
 * they are not the action. Rendered as `sha256:<64 hex>`.
 */
export function actionDigest(spec: ActionSpec): string {
  const canonical = canonicalJson({
    action: spec.action,
    resource: spec.resource,
    environment: spec.environment,
    params: spec.params,
  });
  return `sha256:${hash('sha256', canonical, 'hex')}`;
}
