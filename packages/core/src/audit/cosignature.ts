import { sign, verify } from 'node:crypto';
import {
  generateTypedKey,
  importSignerKey,
  importVerifierKey,
  keyInvalid,
  typedKeyId,
  typedVerifierKey,
} from './note-keys.js';
import type { NoteSigner, NoteVerifier } from './note-keys.js';
import { decodeBase64Strict } from './strict-base64.js';

/**
 * C2SP tlog-cosignature "Format": an Ed25519 cosigner key is a vkey with signature type 0x04,
 * and its key ID is SHA-256(<name> ‖ "\n" ‖ 0x04 ‖ public key)[:4]. The type byte keeps a
 * cosigner key from ever being taken for a log (note) key, whose type is 0x01.
 */
export const COSIGNATURE_V1 = 0x04;
/** tlog-cosignature "Format": timestamped_signature = u64 timestamp ‖ 64-byte Ed25519. */
const TIMESTAMPED_SIGNATURE_BYTES = 8 + 64;
/** tlog-cosignature "Format": the timestamp "MUST NOT exceed 2^63 - 1". */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** SHA-256(name ‖ 0x0A ‖ 0x04 ‖ 32-byte Ed25519 public key)[:4] (tlog-cosignature "Format"). */
export function cosignerKeyId(name: string, publicKey: Uint8Array): number {
  return typedKeyId(COSIGNATURE_V1, name, publicKey);
}

/**
 * The message a cosignature/v1 signs (tlog-cosignature "Ed25519 signed message"): the header
 * line, the timestamp line, then the whole checkpoint body including its final newline.
 */
export function cosignedMessage(checkpointText: Uint8Array, timestamp: bigint): Buffer {
  return Buffer.concat([
    Buffer.from(`cosignature/v1\ntime ${timestamp.toString()}\n`, 'utf8'),
    checkpointText,
  ]);
}

/**
 * A new Ed25519 cosigner (witness) key. `verifierKey` is the C2SP vkey (type 0x04);
 * `signerKey` is `PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>`, the note-key layout with
 * the cosignature type byte (C2SP defines no private key encoding), kept secret.
 */
export function generateCosignerKey(name: string): { signerKey: string; verifierKey: string } {
  return generateTypedKey(COSIGNATURE_V1, name);
}

/**
 * A cosigner's verifier: plugs into `openNote`, which hands it the checkpoint text and the
 * bytes after the key ID. It checks the timestamped_signature against the cosignature/v1
 * message; anything else (wrong length, timestamp ≥ 2^63) does not verify.
 */
export function parseCosignerVerifierKey(verifierKey: string): NoteVerifier {
  const { name, keyId, key, publicKey } = importVerifierKey(
    verifierKey,
    'cosigner verifier',
    COSIGNATURE_V1,
  );
  return {
    name,
    keyId,
    publicKey: Buffer.from(key),
    verifierKey: typedVerifierKey(COSIGNATURE_V1, name, key),
    verify: (message, signature) => {
      const timestamp = cosignatureTimestamp(signature);
      if (timestamp === undefined) return false;
      try {
        return verify(
          null,
          cosignedMessage(message, timestamp),
          publicKey,
          signature.subarray(8, TIMESTAMPED_SIGNATURE_BYTES),
        );
      } catch {
        return false;
      }
    },
  };
}

/**
 * A cosigner: `sign(checkpointText)` returns the timestamped_signature for `openNote`/`signNote`
 * (timestamp ‖ Ed25519 signature), stamped with `now()` in whole POSIX seconds. tlog-witness
 * "add-checkpoint": the timestamp MUST NOT be zero, so a clock before 1970-01-01T00:00:01Z is
 * an error rather than a cosignature that omits it.
 */
export function parseCosignerKey(signerKey: string, now: () => number = Date.now): NoteSigner {
  const { name, keyId, pub, privateKey } = importSignerKey(signerKey, 'cosigner', COSIGNATURE_V1);
  return {
    name,
    keyId,
    verifierKey: typedVerifierKey(COSIGNATURE_V1, name, pub),
    sign: (message) => {
      const seconds = Math.floor(now() / 1000);
      if (!Number.isSafeInteger(seconds) || seconds <= 0) {
        throw keyInvalid('the cosigner clock is before the epoch: no timestamp to sign');
      }
      const timestamp = BigInt(seconds);
      const out = Buffer.alloc(8);
      out.writeBigUInt64BE(timestamp);
      return Buffer.concat([out, sign(null, cosignedMessage(message, timestamp), privateKey)]);
    },
  };
}

/**
 * The timestamp of a cosignature line's signature (base64 of key ID ‖ timestamped_signature),
 * in POSIX seconds, or undefined if it is not a well-formed v1 cosignature.
 */
export function cosignatureTime(signature: string): number | undefined {
  const raw = decodeBase64Strict(signature);
  const timestamp = raw === undefined ? undefined : cosignatureTimestamp(raw.subarray(4));
  return timestamp === undefined ? undefined : Number(timestamp);
}

function cosignatureTimestamp(signature: Uint8Array): bigint | undefined {
  if (signature.length !== TIMESTAMPED_SIGNATURE_BYTES) return undefined;
  const timestamp = Buffer.from(signature.buffer, signature.byteOffset, 8).readBigUInt64BE(0);
  return timestamp > MAX_TIMESTAMP ? undefined : timestamp;
}
