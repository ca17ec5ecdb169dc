import type { KeyObject } from 'node:crypto';
import type { Ed25519Signer } from './ed25519-signer.js';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * Signs a compact JWS (RFC 7515 §7.1) with Ed25519 (RFC 8037: alg EdDSA, the signature is
 * over ASCII(BASE64URL(header) '.' BASE64URL(payload))). Signing is on the hot path of every
 * approved request, so the signature itself goes to `signer` (a worker thread in the gateway,
 * worker-signer.ts). Verification, which parses attacker-supplied tokens, stays with jose
 * (grant-service.ts), and the tests verify what this signs with jose.
 */
export async function signCompactJws(
  header: { alg: 'EdDSA'; kid: string; typ: string },
  payload: object,
  privateKey: KeyObject,
  signer: Ed25519Signer,
): Promise<string> {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = await signer.sign(header.kid, privateKey, Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${b64url(signature)}`;
}
