import { GrantInvalid } from '../errors.js';
import type { GrantClaims } from '../wire-types.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const BASES = ['policy', 'quorum', 'break_glass', 'standing'];

/**
 * Checks that a verified payload has exactly the shape of a grant (mirrors the gateway's
 * readGrantClaims). Signed by a published key but not a grant means a key shared with
 * something else: refused like a bad signature, never half-trusted.
 */
export function readClaims(payload: unknown): GrantClaims {
  const fail = (what: string): never => {
    throw new GrantInvalid('invalid_signature', `not a Countersign grant: ${what}`);
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
  if (p.aud !== 'countersign') fail('"aud" is not countersign');
  const digest = str('digest');
  if (!DIGEST.test(digest)) fail('"digest" is not sha256:<hex>');
  const approvers = p.approvers;
  if (!Array.isArray(approvers) || !approvers.every((a) => typeof a === 'string')) {
    fail('"approvers" is not a list of user ids');
  }
  if (typeof p.basis !== 'string' || !BASES.includes(p.basis)) fail('"basis" is unknown');
  const iat = time('iat');
  const exp = time('exp');
  if (exp <= iat) fail('"exp" is not after "iat"');
  return {
    iss: str('iss'),
    sub: str('sub'),
    aud: 'countersign',
    jti: str('jti'),
    iat,
    exp,
    request_id: str('request_id'),
    action: str('action'),
    resource: str('resource'),
    environment: str('environment'),
    digest,
    approvers: [...(approvers as string[])],
    basis: p.basis as GrantClaims['basis'],
    policy_version: str('policy_version'),
  };
}
