import type { Kysely } from 'kysely';
import type { AuditEvent } from '../audit/audit-events.js';
import type { Database } from './schema.js';
import { inTransaction } from './held-transaction.js';
import type { TransactionScope } from './group-commit.js';

/**
 * Where a transaction's evidence goes: the audit log (audit/audit-log.ts). Repositories take
 * it when they are made and their transaction objects offer `appendEvidence`, so a service
 * records evidence as an intention and never holds the raw transaction it is written in.
 */
export interface EvidenceLog {
  /** Appends in `trx`: the entries commit with the change they record. */
  append(trx: Kysely<Database>, events: readonly AuditEvent[]): Promise<void>;
  /** Appends once at the end of a group-committed transaction, for every unit in it. */
  appendAtCommit(
    tx: Pick<TransactionScope, 'trx' | 'collect'>,
    events: readonly AuditEvent[],
  ): void;
}

/** Evidence that records no change of its own (a key rotation done by another component). */
export function appendEvidenceAlone(
  db: Kysely<Database>,
  log: EvidenceLog,
  events: readonly AuditEvent[],
): Promise<void> {
  return inTransaction(db, (trx) => log.append(trx, events));
}
