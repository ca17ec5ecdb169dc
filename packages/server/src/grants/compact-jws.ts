import { sign, type KeyObject } from 'node:crypto';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * Signs a compact JWS (RFC 7515 §7.1) with Ed25519 (RFC 8037: alg EdDSA, the signature is
 * over ASCII(BASE64URL(header) '.' BASE64URL(payload))). Signing is on the hot path of every
 * approved request: node:crypto's one-shot Ed25519 sign is synchronous and several times
 * cheaper than a WebCrypto round trip. Verification, which parses attacker-supplied tokens,
 * stays with jose (grant-service.ts), and the tests verify what this signs with jose.
 */
export function signCompactJws(
  header: { alg: 'EdDSA'; kid: string; typ: string },
  payload: object,
  privateKey: KeyObject,
): string {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), privateKey);
  return `${signingInput}.${b64url(signature)}`;
}
