import { CountersignError } from '../errors.js';
import { GRANT_AUDIENCE, GRANT_BASES, type GrantBasis, type GrantClaims } from './grant-claims.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Checks that a verified JWT payload has exactly the shape of a grant. The signature already
 * vouches for the bytes, so a failure here means "signed by us but not a grant" (a bug, or a
 * key shared with something else): it is refused like a bad signature, never half-trusted.
 */
export function readGrantClaims(payload: unknown): GrantClaims {
  const fail = (what: string): never => {
    throw new CountersignError('invalid_signature', `not a Countersign grant: ${what}`);
  };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return fail('the payload is not an object');
  }
  const p = payload as Record<string, unknown>;
  const str = (k: string): string => {
    const v = p[k];
    return typeof v === 'string' && v.length > 0 ? v : fail(`"${k}" is missing or not a string`);
  };
  const time = (k: string): number => {
    const v = p[k];
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0
      ? v
      : fail(`"${k}" is not a NumericDate`);
  };
  if (p.aud !== GRANT_AUDIENCE) fail('"aud" is not countersign');
  const digest = str('digest');
  if (!DIGEST.test(digest)) fail('"digest" is not sha256:<hex>');
  const approvers = p.approvers;
  if (!Array.isArray(approvers) || !approvers.every((a) => typeof a === 'string')) {
    fail('"approvers" is not a list of user ids');
  }
  const basis = p.basis;
  if (!GRANT_BASES.includes(basis as GrantBasis)) fail('"basis" is unknown');
  const iat = time('iat');
  const exp = time('exp');
  if (exp <= iat) fail('"exp" is not after "iat"');
  return {
    iss: str('iss'),
    sub: str('sub'),
    aud: GRANT_AUDIENCE,
    jti: str('jti'),
    iat,
    exp,
    request_id: str('request_id'),
    action: str('action'),
    resource: str('resource'),
    environment: str('environment'),
    digest,
    approvers: [...(approvers as string[])],
    basis: basis as GrantBasis,
    policy_version: str('policy_version'),
  };
}
