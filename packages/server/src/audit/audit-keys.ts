import { randomBytes } from 'node:crypto';
import {
  CountersignError,
  generateNoteKey,
  parseNoteSignerKey,
  type NoteSigner,
} from '@countersign/core';
import type { StoredKeyRepository } from '../storage/stored-key-repository.js';

export interface AuditKeys {
  /** Signs checkpoints; its name is the log's origin (C2SP: the key is named after the log). */
  signer: NoteSigner;
  /** `<origin>+<hash>+<base64>`: what an auditor passes to `audit verify --key`. */
  verifierKey: string;
  /** Keys the HMAC that replaces redacted values in entries. */
  hmacKey: Buffer;
}

/**
 * The log's checkpoint signing key and redaction HMAC key: from the environment
 * (COUNTERSIGN_AUDIT_SIGNING_KEY, a C2SP `PRIVATE+KEY+…` string; COUNTERSIGN_AUDIT_HMAC_KEY,
 * base64 of at least 32 bytes), else generated once and kept in the store so every replica
 * uses the same ones. Creation is insert-if-absent then re-read, so racing first starts agree.
 */
export async function loadAuditKeys(
  stored: StoredKeyRepository,
  configuredOrigin: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AuditKeys> {
  // A log's identity must never change with a port or a host name: unless configured, it is
  // chosen once, at random, with the key, and read back from the key ever after.
  const origin = configuredOrigin ?? `countersign/${randomBytes(8).toString('hex')}`;
  const signerKey =
    env.COUNTERSIGN_AUDIT_SIGNING_KEY ??
    (await stored.keep('audit.signing_key', () => generateNoteKey(origin).signerKey));
  let signer: NoteSigner;
  try {
    signer = parseNoteSignerKey(signerKey);
  } catch (e) {
    throw new CountersignError('config_invalid', `audit signing key: ${(e as Error).message}`);
  }
  if (configuredOrigin !== undefined && signer.name !== configuredOrigin) {
    throw new CountersignError(
      'config_invalid',
      `audit.origin is "${configuredOrigin}" but the log's signing key is named "${signer.name}": a log keeps its origin for life (checkpoints are signed under it); remove audit.origin or start a new store`,
    );
  }
  const hmac =
    env.COUNTERSIGN_AUDIT_HMAC_KEY ??
    (await stored.keep('audit.hmac_key', () => randomBytes(32).toString('base64')));
  const hmacKey = Buffer.from(hmac, 'base64');
  if (hmacKey.length < 32) {
    throw new CountersignError(
      'config_invalid',
      'COUNTERSIGN_AUDIT_HMAC_KEY must be base64 of at least 32 bytes',
    );
  }
  return { signer, verifierKey: signer.verifierKey, hmacKey };
}
