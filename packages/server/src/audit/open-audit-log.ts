import type { Storage } from '../storage/open-database.js';
import { AuditRepository } from '../storage/audit-repository.js';
import { StoredKeyRepository } from '../storage/stored-key-repository.js';
import { loadAuditKeys } from './audit-keys.js';
import { AuditLog } from './audit-log.js';
import { Redactor } from './redactor.js';

/**
 * The audit log over a store, for the gateway and for CLI commands that change state from
 * another process (`token create`, `keys rotate`): every writer appends to the same log.
 */
export async function openAuditLog(
  storage: Storage,
  options: { origin?: string | undefined; redact?: () => readonly string[]; now?: () => number },
): Promise<AuditLog> {
  const keys = await loadAuditKeys(new StoredKeyRepository(storage.db), options.origin);
  return new AuditLog(
    new AuditRepository(storage.db, storage.dialect),
    keys,
    new Redactor(keys.hmacKey, options.redact ?? (() => [])),
    keys.signer.name,
    options.now,
  );
}
