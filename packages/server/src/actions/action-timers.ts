import { reviewGroups, type ActionRecord } from '@countersign/core';
import type { ActionWriter, Actor, WriteScope } from './action-writer.js';
import { firstEscalation } from './new-action-record.js';

const SYSTEM: Actor = { kind: 'system', id: 'scheduler' };

/**
 * Deadlines: expiry (fail closed) and escalation. Both live in the requests table, so the
 * timer loop's first pass after a restart fires everything that came due while the gateway was
 * down. Each pass claims a batch of due requests in one transaction (locked with SKIP LOCKED
 * on PostgreSQL, so replicas share the work and never fire one twice) and goes round again
 * while batches come back full, so a burst of deadlines is not spread over many ticks.
 *
 * `clock` says what "due" means: the database's clock on PostgreSQL (one clock for every
 * replica), the gateway's (injected) clock otherwise.
 */
export class ActionTimers {
  constructor(
    private readonly writer: ActionWriter,
    private readonly clock: () => Promise<number>,
  ) {}

  /** Expires pending requests whose deadline passed; returns how many. */
  expireDue(batch = 100): Promise<number> {
    return this.drain(batch, async (w, now) => {
      let n = 0;
      for (const record of await w.tx.lockDue('expires_at', now, batch)) {
        if (record.expires_at === null) continue;
        const expired = await w.tx.transition(record.id, 'pending', 'expired', w.now, {
          reason: `no decision before ${new Date(record.expires_at).toISOString()}; expired (fail closed)`,
        });
        if (expired) {
          await w.changed(expired, 'action.decided');
          n++;
        }
      }
      return n;
    });
  }

  /** Fires due escalations: the escalation groups join the reviewers; returns how many requests escalated. */
  escalateDue(batch = 100): Promise<number> {
    return this.drain(batch, async (w, now) => {
      let n = 0;
      for (const record of await w.tx.lockDue('escalate_at', now, batch)) {
        if (await this.escalate(w, record, now)) n++;
      }
      return n;
    });
  }

  private async escalate(w: WriteScope, record: ActionRecord, now: number): Promise<boolean> {
    if (!record.approval) return false;
    const due = record.approval.clauses.filter(
      (c) =>
        c.escalate &&
        !record.escalated_rules.includes(c.rule) &&
        record.created_at + c.escalate.after_ms <= now,
    );
    if (due.length === 0) return false;
    const escalated = [...record.escalated_rules, ...due.map((c) => c.rule)];
    const next = firstEscalation(record.approval, record.created_at, escalated);
    const updated = await w.tx.escalate(
      record.id,
      escalated,
      next,
      reviewGroups(record.approval, escalated),
      w.now,
    );
    if (!updated) return false;
    await w.changed(updated, 'action.escalated');
    return true;
  }

  /** Runs `pass` (one transaction) until a pass claims less than a full batch. */
  private async drain(
    batch: number,
    pass: (w: WriteScope, now: number) => Promise<number>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const now = await this.clock();
      const fired = await this.writer.write(SYSTEM, (w) => pass(w, now));
      total += fired;
      // Counting what fired, not what was claimed: a claimed row that cannot fire (stays due)
      // must not make this loop spin.
      if (fired < batch) return total;
    }
  }
}
