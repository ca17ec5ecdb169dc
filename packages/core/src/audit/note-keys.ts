import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AuditError } from './audit-error.js';
import { isValidKeyName } from './note-text.js';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.js';

/** C2SP signed-note signature type 0x01, Ed25519: the only one we produce or accept. */
const ED25519 = 0x01;
// RFC 8410 DER wrappers, so node:crypto can import a raw 32-byte seed or public key.
export const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
export const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
export const PRIVATE_PREFIX = 'PRIVATE+KEY+';

export interface NoteVerifier {
  readonly name: string;
  /** The 32-bit key ID, big-endian, as it appears in signature lines. */
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  /** `<name>+<key ID, 8 hex>+<base64(0x01 ‖ public key)>` (golang.org/x/mod/sumdb/note). */
  readonly verifierKey: string;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly verifierKey: string;
  sign(message: Uint8Array): Uint8Array;
}

/** key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte Ed25519 public key)[:4] (C2SP signed-note). */
export function noteKeyId(name: string, publicKey: Uint8Array): number {
  return typedKeyId(ED25519, name, publicKey);
}

/** SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4]: the C2SP key ID of any key type. */
export function typedKeyId(type: number, name: string, publicKey: Uint8Array): number {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.of(0x0a, type))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

/**
 * A new Ed25519 note key: `signerKey` (`PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>`, a
 * secret for the server's config) and `verifierKey` (public, for auditors). Same strings as
 * Go's note.GenerateKey, so Go tooling can read them.
 *
 * @example
 * const { signerKey, verifierKey } = generateNoteKey('audit.example.com/countersign');
 */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  return generateTypedKey(ED25519, name);
}

/** A new Ed25519 key of signature `type`, as signer and verifier key strings (see above). */
export function generateTypedKey(
  type: number,
  name: string,
): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name))
    throw keyInvalid('a key name must be non-empty, with no spaces or "+"');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  const id = formatKeyId(typedKeyId(type, name, pub));
  return {
    signerKey: `${PRIVATE_PREFIX}${name}+${id}+${encodeBase64(Buffer.concat([Buffer.of(type), seed]))}`,
    verifierKey: typedVerifierKey(type, name, pub),
  };
}

/** Parses a verifier key string; throws `note_key_invalid` if malformed or its ID is wrong. */
export function parseNoteVerifierKey(verifierKey: string): NoteVerifier {
  const { name, keyId, key, publicKey } = importVerifierKey(verifierKey, 'verifier', ED25519);
  return {
    name,
    keyId,
    publicKey: Buffer.from(key),
    verifierKey: typedVerifierKey(ED25519, name, key),
    verify: (message, signature) => {
      // Ed25519 signatures are 64 bytes; node:crypto throws on some malformed inputs.
      if (signature.length !== 64) return false;
      try {
        return verify(null, message, publicKey, signature);
      } catch {
        return false;
      }
    },
  };
}

/** Parses a signer key string; throws `note_key_invalid` (never echoing the secret). */
export function parseNoteSignerKey(signerKey: string): NoteSigner {
  const { name, keyId, pub, privateKey } = importSignerKey(signerKey, 'signer', ED25519);
  return {
    name,
    keyId,
    verifierKey: typedVerifierKey(ED25519, name, pub),
    sign: (message) => sign(null, message, privateKey),
  };
}

/**
 * A verifier key string of signature `type`, imported: its parts and its Ed25519 public key;
 * throws `note_key_invalid` if malformed or if its key ID does not name its key.
 */
export function importVerifierKey(
  verifierKey: string,
  kind: string,
  type: number,
): { name: string; keyId: number; key: Buffer; publicKey: KeyObject } {
  const { name, keyId, key } = splitKey(verifierKey, kind, type);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, key]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw keyInvalid(`the ${kind} key is not an Ed25519 public key`);
  }
  if (typedKeyId(type, name, key) !== keyId)
    throw keyInvalid(`the ${kind} key ID does not match the key`);
  return { name, keyId, key, publicKey };
}

/**
 * A signer key string (`PRIVATE+KEY+…`) of signature `type`, imported; throws
 * `note_key_invalid` (never echoing the secret). As Go's note.NewSigner, the key ID names the
 * public key, so it is checked against the one derived from the seed.
 */
export function importSignerKey(
  signerKey: string,
  kind: string,
  type: number,
): { name: string; keyId: number; pub: Buffer; privateKey: KeyObject } {
  if (typeof signerKey !== 'string' || !signerKey.startsWith(PRIVATE_PREFIX)) {
    throw keyInvalid(`a ${kind} key starts with PRIVATE+KEY+`);
  }
  const { name, keyId, key: seed } = splitKey(signerKey.slice(PRIVATE_PREFIX.length), kind, type);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
  } catch {
    throw keyInvalid(`the ${kind} key is not an Ed25519 seed`);
  }
  const pub = createPublicKey(privateKey)
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_PREFIX.length);
  if (typedKeyId(type, name, pub) !== keyId)
    throw keyInvalid(`the ${kind} key ID does not match the key`);
  return { name, keyId, pub, privateKey };
}

export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

// `<name>+<8 hex>+<base64(0x01 ‖ 32 bytes)>`; the base64 may itself contain "+", so split
// only at the first two, like Go's chop.
export function splitKey(
  s: string,
  kind: string,
  type: number = ED25519,
): { name: string; keyId: number; key: Buffer } {
  if (typeof s !== 'string') throw keyInvalid(`a ${kind} key is a string`);
  const first = s.indexOf('+');
  const second = s.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw keyInvalid(`a ${kind} key has the form name+id+key`);
  const name = s.slice(0, first);
  const id = s.slice(first + 1, second);
  const raw = decodeBase64Strict(s.slice(second + 1));
  if (!isValidKeyName(name)) throw keyInvalid(`the ${kind} key name is not a valid key name`);
  if (!/^[0-9a-f]{8}$/.test(id))
    throw keyInvalid(`the ${kind} key ID is not 8 lowercase hex digits`);
  if (raw === undefined || raw.length !== 33 || raw[0] !== type) {
    const hex = `0x${type.toString(16).padStart(2, '0')}`;
    throw keyInvalid(`the ${kind} key is not base64 of ${hex} and a 32-byte Ed25519 key`);
  }
  return { name, keyId: Number.parseInt(id, 16), key: raw.subarray(1) };
}

/** `<name>+<key ID>+<base64(type ‖ public key)>`, the C2SP vkey. */
export function typedVerifierKey(type: number, name: string, publicKey: Uint8Array): string {
  const encoded = encodeBase64(Buffer.concat([Buffer.of(type), publicKey]));
  return `${name}+${formatKeyId(typedKeyId(type, name, publicKey))}+${encoded}`;
}

export function keyInvalid(message: string): AuditError {
  return new AuditError('note_key_invalid', message);
}
