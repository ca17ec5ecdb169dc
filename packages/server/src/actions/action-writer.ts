import type { ActionRecord, Vote } from '@countersign/core';
import type { ActionRepository } from '../storage/action-repository.js';
import type { ActionTx } from '../storage/action-tx.js';
import type { ApprovalBasis, GrantIssuer } from '../grants/grant-issuer.js';
import type { NotificationEvent, NotificationSink } from '../notify/notification.js';
import type { ActionEvents } from './action-events.js';

/** What a unit of work can do besides plain writes: announce changes and approve with a grant. */
export interface WriteScope {
  tx: ActionTx;
  now: number;
  /**
   * Records that `record` changed: its notification is written in this transaction, and
   * waiters are woken once it commits.
   */
  changed(record: ActionRecord, event: NotificationEvent | null, votes?: Vote[]): Promise<void>;
  /** Signs a grant and approves, in this transaction; undefined if no longer pending. */
  approve(
    record: ActionRecord,
    approvers: readonly string[],
    basis: ApprovalBasis,
    reason: string,
  ): Promise<ActionRecord | undefined>;
}

export interface ActionWriterDeps {
  actions: ActionRepository;
  events: ActionEvents;
  grants?: GrantIssuer | undefined;
  notifications?: NotificationSink | undefined;
  now: () => number;
}

/**
 * Every state change of a request goes through `write`: one transaction for the change, its
 * votes, its grant and its outgoing notifications; events to waiters only after the commit.
 */
export class ActionWriter {
  constructor(private readonly deps: ActionWriterDeps) {}

  async write<T>(work: (scope: WriteScope) => Promise<T>): Promise<T> {
    let changes: ActionRecord[] = [];
    const result = await this.deps.actions.write(async (tx) => {
      changes = []; // a batch retried alone runs the work again from scratch
      const now = this.deps.now();
      const scope: WriteScope = {
        tx,
        now,
        changed: async (record, event, votes) => {
          changes.push(record);
          // Loading votes costs a query: only when some channel or webhook wants the event.
          if (event && this.deps.notifications?.wants?.(event, record) !== false) {
            await this.deps.notifications?.enqueue(tx.trx, {
              event,
              record,
              votes: votes ?? (await tx.votes(record.id)),
              at: now,
            });
          }
        },
        approve: async (record, approvers, basis, reason) => {
          const grant = await this.deps.grants?.issue(record, approvers, basis);
          const approved = await tx.transition(record.id, 'pending', 'approved', now, {
            reason,
            ...(grant ? { grant } : {}),
            ...(basis === 'break_glass' ? { break_glass: true } : {}),
          });
          if (approved) await scope.changed(approved, 'action.decided');
          return approved;
        },
      };
      return work(scope);
    });
    for (const r of changes) this.deps.events.publish(r);
    return result;
  }
}
