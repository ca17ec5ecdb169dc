import { CountersignError, reviewGroups } from '@countersign/core';
import type { ActionRepository } from '../storage/action-repository.js';
import type { ActionWriter, Actor } from './action-writer.js';

const SYSTEM: Actor = { kind: 'system', id: 'scheduler' };
import { firstEscalation } from './new-action-record.js';

/**
 * Deadlines: expiry (fail closed) and escalation. Both live in the requests table, so the
 * scheduler's first tick after a restart fires everything that came due while the gateway was
 * down; each firing is a compare-and-set, so two replicas never fire one twice.
 */
export class ActionTimers {
  constructor(
    private readonly actions: ActionRepository,
    private readonly writer: ActionWriter,
    private readonly now: () => number,
  ) {}

  /** Expires pending requests whose deadline passed; returns how many. */
  async expireDue(limit = 100): Promise<number> {
    let n = 0;
    for (const id of await this.actions.dueForExpiry(this.now(), limit)) {
      const fired = await this.writer.write(SYSTEM, async (w) => {
        const record = await w.tx.lock(id);
        if (
          !record ||
          record.status !== 'pending' ||
          record.expires_at === null ||
          record.expires_at > w.now
        ) {
          return false;
        }
        const expired = await w.tx.transition(id, 'pending', 'expired', w.now, {
          reason: `no decision before ${new Date(record.expires_at).toISOString()}; expired (fail closed)`,
        });
        if (expired) await w.changed(expired, 'action.decided');
        return expired !== undefined;
      });
      if (fired) n++;
    }
    return n;
  }

  /** Fires due escalations: the escalation groups join the reviewers; returns how many requests escalated. */
  async escalateDue(limit = 100): Promise<number> {
    let n = 0;
    for (const id of await this.actions.dueForEscalation(this.now(), limit)) {
      const fired = await this.writer.write(SYSTEM, async (w) => {
        const record = await w.tx.lock(id);
        if (!record?.approval || record.status !== 'pending') return false;
        const due = record.approval.clauses.filter(
          (c) =>
            c.escalate &&
            !record.escalated_rules.includes(c.rule) &&
            record.created_at + c.escalate.after_ms <= w.now,
        );
        if (due.length === 0) return false;
        const escalated = [...record.escalated_rules, ...due.map((c) => c.rule)];
        const next = firstEscalation(record.approval, record.created_at, escalated);
        const updated = await w.tx.escalate(
          id,
          escalated,
          next,
          reviewGroups(record.approval, escalated),
          w.now,
        );
        if (!updated) throw new CountersignError('not_found', `no action ${id}`);
        await w.changed(updated, 'action.escalated');
        return true;
      });
      if (fired) n++;
    }
    return n;
  }
}
