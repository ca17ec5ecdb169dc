/**
 * Offline verification of a grant, in the order docs/grants.md prescribes: the signature
 * (Ed25519 over the JWS signing input, with a key we trust), then the claims (typ, aud, iss,
 * expiry), then the binding (the digest recomputed from what the caller is about to do).
 * @module
 */
import { actionDigest, type DigestInput } from '../action-digest.js';
import { GrantInvalid } from '../errors.js';
import type { Ed25519Jwk, GrantClaims, Jwks } from '../wire-types.js';
import { base64UrlDecode } from './base64url.js';
import { constantTimeEqual } from './constant-time-equal.js';
import { fetchJwks } from './jwks-source.js';
import { readClaims } from './read-claims.js';

const GRANT_TYPE = 'countersign-grant+jwt';

export interface VerifyGrantOptions {
  /** The gateway's key set, e.g. a copy of `/.well-known/jwks.json` (fully offline). */
  jwks?: Jwks;
  /** Where to fetch the key set from (cached five minutes; refetched on an unknown kid). */
  jwksUrl?: string | URL;
  /**
   * The action about to be performed. Its digest must equal the grant's: without `expect` the
   * grant is only checked to be genuine and unexpired, not to cover *this* action.
   */
  expect?: DigestInput;
  /** The gateway's public URL, checked against `iss` when given. */
  issuer?: string;
  /** Seconds of clock skew to tolerate on `exp`. Default 0. */
  clockToleranceSec?: number;
  /** The current time in ms (tests). */
  now?: () => number;
  /** For `jwksUrl` (default: the global fetch). */
  fetch?: typeof fetch;
}

/**
 * Verifies a grant offline and returns its claims; throws `GrantInvalid` with code
 * `invalid_signature`, `grant_expired`, `digest_mismatch` or `jwks_unavailable`. Offline checks
 * cannot make a grant single-use: redeem it (`POST /v1/grants/redeem`) for that.
 *
 * @example
 * import { verifyGrant } from '@countersign/sdk';
 *
 * const claims = await verifyGrant(grant, {
 *   jwksUrl: 'https://countersign.example.com/.well-known/jwks.json',
 *   issuer: 'https://countersign.example.com',
 *   expect: { action: 'db.export', resource: 'postgres://prod/customers',
 *             environment: 'production', params: { rows: 50_000 } },
 * });
 * console.log(claims.approvers); // ['alice', 'bob']
 */
export async function verifyGrant(
  token: string,
  options: VerifyGrantOptions,
): Promise<GrantClaims> {
  const invalid = (why: string) => new GrantInvalid('invalid_signature', why);
  // The token is attacker-controlled: parse it so it can only fail with our error.
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw invalid('a grant is a compact JWS: three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  const header = parseJson(h, 'header');
  // RFC 8725 §3.1: never let the token choose the algorithm; §3.11: explicit typing.
  if (header.alg !== 'EdDSA') throw invalid(`alg must be EdDSA, not ${String(header.alg)}`);
  if (header.typ !== GRANT_TYPE) throw invalid(`typ must be ${GRANT_TYPE}`);
  if (typeof header.kid !== 'string') throw invalid('the header names no kid');
  if ('crit' in header) throw invalid('unsupported crit header');

  const jwk = await findKey(header.kid, options);
  if (!jwk) throw invalid(`no published key has kid ${header.kid}`);
  const signature = decode(s, 'signature');
  const signed = await ed25519Verify(jwk, signature, new TextEncoder().encode(`${h}.${p}`));
  if (!signed) throw invalid('the signature does not verify');

  const claims = readClaims(parseJson(p, 'payload'));
  if (options.issuer !== undefined && claims.iss !== options.issuer.replace(/\/+$/, '')) {
    throw invalid(`issued by ${claims.iss}, not ${options.issuer}`);
  }
  // Only now, for an authentic grant, is expiry worth reporting as such.
  const nowSec = (options.now?.() ?? Date.now()) / 1000;
  if (claims.exp + (options.clockToleranceSec ?? 0) <= nowSec) {
    throw new GrantInvalid(
      'grant_expired',
      `the grant expired at ${new Date(claims.exp * 1000).toISOString()}`,
    );
  }
  if (options.expect) {
    const expected = await actionDigest(options.expect);
    if (!constantTimeEqual(expected, claims.digest)) {
      throw new GrantInvalid(
        'digest_mismatch',
        'the grant was issued for a different action (action, resource, environment or params differ)',
      );
    }
  }
  return claims;
}

async function findKey(kid: string, options: VerifyGrantOptions): Promise<Ed25519Jwk | undefined> {
  const pick = (jwks: Jwks) =>
    jwks.keys.find(
      (k): k is Ed25519Jwk =>
        k.kid === kid && k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string',
    );
  if (options.jwks) return pick(options.jwks);
  if (options.jwksUrl === undefined) {
    throw new GrantInvalid('jwks_unavailable', 'give verifyGrant a jwks or a jwksUrl');
  }
  const url = String(options.jwksUrl);
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  return pick(await fetchJwks(url, fetchImpl)) ?? pick(await fetchJwks(url, fetchImpl, true));
}

/** Ed25519 (RFC 8032) through WebCrypto: Node ≥ 18.4, Deno, Bun, current browsers. */
async function ed25519Verify(jwk: Ed25519Jwk, signature: Uint8Array, data: Uint8Array) {
  let key: Awaited<ReturnType<typeof crypto.subtle.importKey>>;
  try {
    key = await crypto.subtle.importKey(
      'jwk',
      { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
  } catch (e) {
    if (e instanceof DOMException && e.name === 'NotSupportedError') {
      throw new GrantInvalid('unsupported_runtime', 'this runtime has no WebCrypto Ed25519', {
        cause: e,
      });
    }
    throw new GrantInvalid('invalid_signature', 'the published key is not an Ed25519 key', {
      cause: e,
    });
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, data);
}

function decode(part: string, what: string): Uint8Array {
  try {
    return base64UrlDecode(part);
  } catch {
    throw new GrantInvalid('invalid_signature', `the ${what} is not base64url`);
  }
}

function parseJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decode(part, what)));
  } catch (e) {
    if (e instanceof GrantInvalid) throw e;
    throw new GrantInvalid('invalid_signature', `the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GrantInvalid('invalid_signature', `the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
