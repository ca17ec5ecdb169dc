import { constantTimeEqual } from '../crypto/constant-time-equal.js';
import { actionDigest } from '../digest/action-digest.js';
import { CountersignError } from '../errors.js';
import type { ActionSpec } from '../model/action-request.js';
import type { GrantClaims } from './grant-claims.js';

/**
 * Throws `digest_mismatch` unless the grant was issued for exactly this action (PRODUCT.md,
 * non-negotiable 3): the digest is recomputed from what the caller is about to do, never taken
 * from the caller. The digest covers action, resource, environment and params, so one changed
 * byte anywhere in them fails here.
 *
 * @example
 * const claims = readGrantClaims(payload); // after the signature was verified
 * assertGrantBinding(claims, { action: 'db.export', resource, environment: 'production', params });
 */
export function assertGrantBinding(claims: Pick<GrantClaims, 'digest'>, spec: ActionSpec): void {
  const expected = actionDigest(spec);
  // Constant time out of habit (STYLE.md rule 4): a digest is not secret, but one helper for
  // every comparison means no one has to decide case by case.
  if (!constantTimeEqual(expected, claims.digest)) {
    throw new CountersignError(
      'digest_mismatch',
      'the grant was issued for a different action (action, resource, environment or params differ)',
      { grant_digest: claims.digest, action_digest: expected },
    );
  }
}
