import type { ActionRecord, Vote } from '@countersign/core';
import type { ActionRepository } from '../storage/action-repository.js';
import type { ActionTx } from '../storage/action-tx.js';
import type { ApprovalBasis, GrantIssuer } from '../grants/grant-issuer.js';
import type { NotificationEvent, NotificationSink } from '../notify/notification.js';
import type { ActionEvents } from './action-events.js';
import {
  actionDecided,
  actionEscalated,
  actionResultReported,
  grantIssued,
  type Actor,
  type AuditEvent,
} from '../audit/audit-events.js';

/** Who caused a change, as the audit log records it. */
export type { Actor } from '../audit/audit-events.js';

/** What a unit of work can do besides plain writes: announce changes and approve with a grant. */
export interface WriteScope {
  tx: ActionTx;
  now: number;
  actor: Actor;
  /** Records evidence; appended to the audit log in this transaction when the work succeeds. */
  audit(event: AuditEvent): void;
  /**
   * Records that `record` changed: its notification is written in this transaction, and
   * waiters are woken once it commits.
   */
  changed(
    record: ActionRecord,
    event: NotificationEvent | null,
    votes?: Vote[],
    options?: { audit?: boolean },
  ): Promise<void>;
  /**
   * `changed` for a batch with one event (the timers): the votes of every record a channel
   * wants are loaded in one query instead of one per record.
   */
  changedAll(records: readonly ActionRecord[], event: NotificationEvent): Promise<void>;
  /** Signs a grant and approves, in this transaction; undefined if no longer pending. */
  approve(
    record: ActionRecord,
    approvers: readonly string[],
    basis: ApprovalBasis,
    reason: string,
    /** The standing approval that approves it (basis `standing`). */
    standingApprovalId?: string,
  ): Promise<ActionRecord | undefined>;
}

export interface ActionWriterDeps {
  actions: ActionRepository;
  events: ActionEvents;
  grants: GrantIssuer;
  notifications: NotificationSink;
  now: () => number;
  /** Told once a request's decision (policy, vote, timer, cancel) has committed: metrics. */
  onDecided?: ((record: ActionRecord) => void) | undefined;
  /** Told of every committed write's evidence and changed records: traces (telemetry/). */
  onCommitted?:
    | ((evidence: readonly AuditEvent[], changes: readonly ActionRecord[], at: number) => void)
    | undefined;
}

/** The audit entry a state change implies, if any (votes and submissions are recorded explicitly). */
function entryFor(
  actor: Actor,
  record: ActionRecord,
  event: NotificationEvent | null,
): AuditEvent | null {
  if (event === 'action.escalated') return actionEscalated(actor, record);
  if (event === 'action.reported') return actionResultReported(actor, record);
  if (event !== 'action.decided') return null;
  const { status } = record;
  return status === 'approved' ||
    status === 'denied' ||
    status === 'expired' ||
    status === 'cancelled'
    ? actionDecided(actor, { ...record, status })
    : null;
}

/**
 * Every state change of a request goes through `write`: one transaction for the change, its
 * votes, its grant, its outgoing notifications and its NOTIFY to other replicas; events to
 * this process's waiters only after the commit.
 */
export class ActionWriter {
  constructor(private readonly deps: ActionWriterDeps) {}

  /** `lockKey`: the request id `work` locks, if known, so its batch locks rows in order. */
  async write<T>(
    actor: Actor,
    work: (scope: WriteScope) => Promise<T>,
    lockKey?: string,
  ): Promise<T> {
    let changes: ActionRecord[] = [];
    let decided: ActionRecord[] = [];
    let evidence: AuditEvent[] = [];
    let now = 0;
    const result = await this.deps.actions.write(async (tx) => {
      changes = []; // a batch retried alone runs the work again from scratch
      decided = [];
      evidence = [];
      now = this.deps.now();
      const scope: WriteScope = {
        tx,
        now,
        actor,
        audit: (e) => evidence.push(e),
        changed: async (record, event, votes, options) => {
          changes.push(record);
          if (event === 'action.decided') decided.push(record);
          const entry = options?.audit === false ? null : entryFor(actor, record, event);
          if (entry) scope.audit(entry);
          // Loading votes costs a query: only when some channel or webhook wants the event.
          if (event && this.deps.notifications.wants(event, record)) {
            await this.deps.notifications.enqueue(tx, {
              event,
              record,
              votes: votes ?? (await tx.votes(record.id)),
              at: now,
            });
          }
        },
        changedAll: async (records, event) => {
          const wanted = records.filter((r) => this.deps.notifications.wants(event, r));
          const votes = await tx.votesOf(wanted.map((r) => r.id));
          for (const r of records) await scope.changed(r, event, votes.get(r.id) ?? []);
        },
        approve: async (record, approvers, basis, reason, standingApprovalId) => {
          const grant = await this.deps.grants.issue(record, approvers, basis);
          const approved = await tx.transition(record.id, 'pending', 'approved', now, {
            reason,
            ...(grant ? { grant } : {}),
            ...(basis === 'break_glass' ? { break_glass: true } : {}),
            ...(standingApprovalId ? { standing_approval_id: standingApprovalId } : {}),
          });
          if (approved) {
            await scope.changed(approved, 'action.decided');
            const { grant } = approved;
            if (grant) scope.audit(grantIssued(actor, { ...approved, grant }, approvers, basis));
          }
          return approved;
        },
      };
      const value = await work(scope);
      tx.appendEvidence(evidence);
      // Other replicas' waiters hear of it on commit (LISTEN/NOTIFY, storage/change-feed.ts).
      tx.announce(
        this.deps.events.origin,
        changes.map((r) => r.id),
      );
      return value;
    }, lockKey);
    for (const r of changes) this.deps.events.publish(r);
    for (const r of decided) this.deps.onDecided?.(r);
    this.deps.onCommitted?.(evidence, changes, now);
    return result;
  }
}
