import {
  KeyRing,
  appendEvidenceAlone,
  auditEvents,
  SigningKeyRepository,
  openAuditLog,
  type AuditLog,
  type Storage,
} from '@countersign/server';
import { withStore } from '../open-store.js';

/** Opens the store named by the config and the grant key ring over it, for one command. */
function withKeys<T>(
  configFile: string,
  f: (keys: KeyRing, audit: AuditLog, storage: Storage) => Promise<T>,
): Promise<T> {
  return withStore(configFile, async (storage, config) =>
    f(
      new KeyRing({
        repo: new SigningKeyRepository(storage.db),
        ttlMs: config.grants.ttlMs,
        suppliedKey: config.grants.signingKey,
      }),
      await openAuditLog(storage, { origin: config.audit.origin }),
      storage,
    ),
  );
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/**
 * `keys rotate`: a new active grant signing key; the old one stays in the JWKS until its
 * grants have expired. Running gateways pick the new key up within 30 s.
 */
export async function keysRotate(options: { config: string }) {
  const { kid, retired } = await withKeys(options.config, async (k, audit, storage) => {
    const rotated = await k.rotate();
    // Recorded right after the rotation commits (the key ring owns its own transaction).
    await appendEvidenceAlone(storage.db, audit, [
      auditEvents.keyRotated({ kind: 'system', id: 'operator' }, rotated.kid, rotated.retired),
    ]);
    return rotated;
  });
  process.stdout.write(`${kid}\n`);
  process.stderr.write(
    retired === null
      ? 'created the first grant signing key\n'
      : `rotated: ${retired} is retired and stays published until its grants have expired\n`,
  );
}

/** `keys list`: every grant signing key, newest first, never a private key. */
export async function keysList(options: { config: string; json?: boolean }) {
  const keys = await withKeys(options.config, (k) => k.list());
  if (options.json) {
    process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${'KID'.padEnd(44)} ${'CREATED'.padEnd(24)} ${'RETIRED'.padEnd(24)} STATE\n`,
  );
  for (const k of keys) {
    const state = k.active
      ? 'active'
      : k.published
        ? `retired, published until ${iso(k.published_until)}`
        : 'retired';
    const source = k.private_key_stored ? '' : ' (key from environment)';
    process.stdout.write(
      `${k.kid.padEnd(44)} ${iso(k.created_at).padEnd(24)} ${iso(k.retired_at).padEnd(24)} ${state}${source}\n`,
    );
  }
}
