import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { GrantRepository } from '../storage/grant-repository.js';
import type { EvidenceLog } from '../storage/evidence-log.js';
import { GrantService, type GrantServiceOptions } from './grant-service.js';
import { KeyRing } from './key-ring.js';
import { SigningKeyRepository } from '../storage/signing-key-repository.js';
import { InThreadSigner } from './in-thread-signer.js';
import { WorkerSigner } from './worker-signer.js';

export interface OpenGrantServiceOptions {
  /** The `iss` claim: the gateway's public URL. */
  issuer: string;
  ttlMs: number;
  /** `grants.signing_thread`: default the event loop. */
  signingThread?: 'event-loop' | 'worker';
  /** COUNTERSIGN_GRANT_SIGNING_KEY, if the operator supplies the key. */
  signingKey?: string | undefined;
  now?: () => number;
  onRedeemed?: GrantServiceOptions['onRedeemed'];
  /** Where each redemption's audit entry is appended (the audit log). */
  evidence: EvidenceLog;
}

/**
 * Wires the grant service over a store: makes sure a signing key is active (generating one on
 * first start) and that this gateway can sign with it, or throws `config_invalid`. Signatures
 * are made on the event loop by default: on a 2-core machine the signing worker
 * (worker-signer.ts) cost more CPU per decision than it moved off the event loop
 * (docs/decisions.md); `grants.signing_thread: worker` chooses it on hosts with spare cores.
 */
export async function openGrantService(
  db: Kysely<Database>,
  options: OpenGrantServiceOptions,
): Promise<GrantService> {
  const keys = await KeyRing.open({
    repo: new SigningKeyRepository(db),
    ttlMs: options.ttlMs,
    suppliedKey: options.signingKey,
    now: options.now,
  });
  return new GrantService({
    keys,
    grants: new GrantRepository(db, options.evidence),
    issuer: options.issuer,
    ttlMs: options.ttlMs,
    now: options.now,
    onRedeemed: options.onRedeemed,
    signer: options.signingThread === 'worker' ? new WorkerSigner() : new InThreadSigner(),
  });
}
