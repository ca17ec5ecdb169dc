import type { ActionRepository } from '../storage/action-repository.js';
import type { AuditEvent } from './audit-events.js';

/** Appends evidence; resolves once it is durable. */
export type RecordEvidence = (events: AuditEvent[]) => Promise<void>;

/**
 * Evidence that belongs to no request change (a policy load, a delivery, a refusal answered
 * with a 200): group-committed like every other write, so it shares the batch's commit.
 */
export function evidenceRecorder(actions: ActionRepository): RecordEvidence {
  return (events) => actions.write(async (tx) => tx.appendEvidence(events));
}
