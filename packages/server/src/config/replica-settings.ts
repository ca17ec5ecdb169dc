import { createHash } from 'node:crypto';
import { CountersignError } from '@countersign/core';
import { signingKeyFromText } from '../grants/signing-key.js';
import type { FastifyBaseLogger } from 'fastify';
import { configChanged } from '../audit/audit-events.js';
import type { RecordEvidence } from '../audit/evidence-recorder.js';
import { ReplicaSettingsRepository } from '../storage/replica-settings-repository.js';
import type { Storage } from '../storage/open-database.js';

/**
 * What every replica on one store must agree on, as recorded by the first one to start:
 * - `public_url`: the `iss` of every grant; a grant verifies only where `iss` matches.
 * - `grant_signing_key`: where the grant key comes from (`supplied:<kid>` through
 *   COUNTERSIGN_GRANT_SIGNING_KEY, or `store`); a replica with another supplied key would make
 *   it the active key under the others.
 * - `audit_signing_key`: the checkpoint verifier key (public); checkpoints signed under two
 *   keys would not verify with one.
 * - `audit_hmac_key`: a fingerprint of the redaction HMAC key; redacted values would not
 *   compare across replicas.
 * Secrets are never recorded: only key ids, public keys and SHA-256 fingerprints.
 */
export interface ReplicaSettings {
  public_url: string;
  grant_signing_key: string;
  audit_signing_key: string;
  audit_hmac_key: string;
}

/** How each setting is named in the refusal, and where an operator sets it. */
const LABEL: Record<keyof ReplicaSettings, string> = {
  public_url: 'public_url',
  grant_signing_key: 'grant signing key (COUNTERSIGN_GRANT_SIGNING_KEY)',
  audit_signing_key: 'audit signing key (COUNTERSIGN_AUDIT_SIGNING_KEY / audit.origin)',
  audit_hmac_key: 'audit HMAC key (COUNTERSIGN_AUDIT_HMAC_KEY)',
};

/** The settings of this replica, computed from its configuration and its audit log. */
export async function replicaSettings(
  repo: ReplicaSettingsRepository,
  input: {
    publicUrl: string;
    grantSigningKey: string | undefined;
    auditVerifierKey: string;
    env?: NodeJS.ProcessEnv;
  },
): Promise<ReplicaSettings> {
  const env = input.env ?? process.env;
  const supplied = input.grantSigningKey?.trim();
  const hmac = env.COUNTERSIGN_AUDIT_HMAC_KEY ?? (await repo.value('audit.hmac_key')) ?? '';
  return {
    public_url: input.publicUrl,
    grant_signing_key: supplied ? `supplied:${(await signingKeyFromText(supplied)).kid}` : 'store',
    audit_signing_key: input.auditVerifierKey,
    audit_hmac_key: `sha256:${createHash('sha256').update(hmac).digest('hex').slice(0, 16)}`,
  };
}

/**
 * Refuses to start a replica whose settings differ from those the store records (the first
 * replica records them), with `config_invalid` naming each difference; or, with `accept`,
 * records this replica's settings instead and returns what changed.
 */
export async function checkReplicaSettings(
  repo: ReplicaSettingsRepository,
  mine: ReplicaSettings,
  options: { accept?: boolean | undefined } = {},
): Promise<string[]> {
  const mineRecord: Record<string, string> = { ...mine };
  const recorded = await repo.recordMissing(mineRecord);
  const differences: string[] = [];
  const changed: Record<string, string> = {};
  for (const name of Object.keys(LABEL) as Array<keyof ReplicaSettings>) {
    const theirs = recorded.get(name);
    if (theirs === undefined || theirs === mine[name]) continue;
    differences.push(
      `${LABEL[name]} ${mine[name]} differs from ${theirs} recorded by the first replica`,
    );
    changed[name] = mine[name];
  }
  if (differences.length === 0) return [];
  if (options.accept) {
    await repo.replace(changed);
    return differences;
  }
  throw new CountersignError(
    'config_invalid',
    `${differences.join('; ')}; every replica must use the same public_url and keys ` +
      '(docs/operations.md, "Several replicas"). To change them deliberately, restart with ' +
      '`countersign serve --accept-config-change`, then give every other replica the same settings',
  );
}

/**
 * At start, before this replica writes: replicas on one PostgreSQL store must share
 * public_url and keys (`checkReplicaSettings`); returns the differences accepted with
 * `accept`. An SQLite store has one gateway: its port (and default public_url) may change.
 */
export async function agreeOnReplicaSettings(
  storage: Storage,
  input: {
    publicUrl: string;
    grantSigningKey: string | undefined;
    auditVerifierKey: string;
    accept: boolean | undefined;
  },
): Promise<string[]> {
  if (storage.dialect !== 'postgres') return [];
  const repo = new ReplicaSettingsRepository(storage.db);
  const mine = await replicaSettings(repo, input);
  return checkReplicaSettings(repo, mine, { accept: input.accept });
}

/** A deliberate change of what every replica must share (issuer, keys) is evidence too. */
export async function recordAcceptedChanges(
  changes: string[],
  record: RecordEvidence,
  log: FastifyBaseLogger,
): Promise<void> {
  for (const change of changes) {
    log.warn({ change }, 'configuration change accepted (--accept-config-change)');
  }
  if (changes.length > 0) await record([configChanged(changes)]);
}
