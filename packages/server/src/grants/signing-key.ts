import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { CountersignError } from '@countersign/core';

/** The public half as published in the JWKS (RFC 8037 §2: an OKP key, `crv` Ed25519). */
export interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/** A key ready to sign with; `kid` is the RFC 7638 thumbprint of `publicJwk`. */
export interface SigningKeyMaterial {
  kid: string;
  publicJwk: Ed25519PublicJwk;
  privateKey: KeyObject;
}

/** The environment variable an operator sets to supply the grant signing key. */
export const SIGNING_KEY_ENV = 'COUNTERSIGN_GRANT_SIGNING_KEY';

function publicJwkOf(key: KeyObject): Ed25519PublicJwk {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new CountersignError('config_invalid', 'the grant signing key is not an Ed25519 key');
  }
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

/**
 * kid = the RFC 7638 JWK thumbprint (SHA-256 over the required members `crv`, `kty`, `x` in
 * that order, RFC 8037 §2): anyone holding the public key can recompute it, and two different
 * keys cannot share a kid by accident.
 */
export function thumbprintOf(jwk: Ed25519PublicJwk): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

async function material(privateKey: KeyObject): Promise<SigningKeyMaterial> {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new CountersignError(
      'config_invalid',
      `the grant signing key must be Ed25519 (got ${privateKey.asymmetricKeyType ?? 'unknown'})`,
    );
  }
  const publicJwk = publicJwkOf(privateKey);
  return { kid: await thumbprintOf(publicJwk), publicJwk, privateKey };
}

/** A fresh Ed25519 key pair from the system CSPRNG. */
export function generateSigningKey(): Promise<SigningKeyMaterial> {
  return material(generateKeyPairSync('ed25519').privateKey);
}

/** The private key as an RFC 8037 JWK, for storing in `signing_keys.private_jwk`. */
export function privateJwkText(key: SigningKeyMaterial): string {
  return JSON.stringify(key.privateKey.export({ format: 'jwk' }));
}

/** Reads a private JWK stored by `privateJwkText`. */
export function signingKeyFromStoredJwk(text: string): Promise<SigningKeyMaterial> {
  return parsePrivateKey(text, 'the stored grant signing key');
}

/**
 * Reads an operator-supplied private key: an Ed25519 JWK (JSON) or a PKCS#8 PEM block
 * (`openssl genpkey -algorithm ed25519`). Anything else is a configuration error that stops
 * the gateway: it must never fall back to another key silently.
 */
export function signingKeyFromText(text: string): Promise<SigningKeyMaterial> {
  return parsePrivateKey(text, SIGNING_KEY_ENV);
}

async function parsePrivateKey(text: string, source: string): Promise<SigningKeyMaterial> {
  const trimmed = text.trim();
  let key: KeyObject;
  let claimedX: unknown;
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>;
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
        throw new Error('expected an OKP JWK with crv Ed25519 and a private "d"');
      }
      claimedX = jwk.x;
      // node:crypto insists on "x" but derives the public key from "d" alone; we check below
      // that the two agree, so a pasted JWK with a foreign "x" cannot publish the wrong key.
      key = createPrivateKey({
        key: { kty: 'OKP', crv: 'Ed25519', d: jwk.d, x: typeof jwk.x === 'string' ? jwk.x : '' },
        format: 'jwk',
      });
    } else {
      key = createPrivateKey({ key: trimmed, format: 'pem' });
    }
  } catch (e) {
    throw new CountersignError(
      'config_invalid',
      `${source}: not an Ed25519 private key as JWK or PKCS#8 PEM (${(e as Error).message})`,
    );
  }
  const m = await material(key);
  if (claimedX !== undefined && claimedX !== m.publicJwk.x) {
    throw new CountersignError(
      'config_invalid',
      `${source}: the JWK's "x" is not the public key of its "d"`,
    );
  }
  return m;
}
