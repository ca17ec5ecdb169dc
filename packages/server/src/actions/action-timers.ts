import { reviewGroups, type ActionRecord } from '@countersign/core';
import type { ActionWriter, Actor, WriteScope } from './action-writer.js';
import type { Escalation } from '../storage/action-tx.js';
import type { NextDeadlines } from '../storage/action-repository.js';
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
  /** Milliseconds from the last `runDue` until the next deadline, if any is known. */
  #untilNext: number | undefined;

  constructor(
    private readonly writer: ActionWriter,
    private readonly clock: () => Promise<number>,
    /** The earliest deadlines and now (storage/action-repository.ts `nextDeadlines`). */
    private readonly deadlines: () => Promise<NextDeadlines>,
  ) {}

  /**
   * The timer loop's job: one peek at the earliest deadlines (an idle tick costs that one
   * query), then expiries and escalations only if some are due, each drained while batches
   * come back full. Remembers when the next deadline comes (`untilNext`), so the loop can wake
   * then instead of at its next tick.
   */
  async runDue(): Promise<number> {
    let next = await this.deadlines();
    let fired = 0;
    const due = (at: number | undefined) => at !== undefined && at <= next.now;
    if (due(next.expiry) || due(next.escalation)) {
      if (due(next.expiry)) fired += await this.expireDue();
      if (due(next.escalation)) fired += await this.escalateDue();
      next = await this.deadlines();
    }
    const soonest = Math.min(next.expiry ?? Infinity, next.escalation ?? Infinity);
    this.#untilNext = Number.isFinite(soonest) ? soonest - next.now : undefined;
    return fired;
  }

  /** Milliseconds until the next deadline as of the last `runDue` (≤ 0: due, not firable yet). */
  get untilNext(): number | undefined {
    return this.#untilNext;
  }

  /**
   * Expires pending requests whose deadline passed; returns how many. Set-based: a claimed
   * batch is expired by one UPDATE, its votes read by one SELECT, its outbox rows, audit
   * entries and change announcement written by one statement each at commit.
   */
  expireDue(batch = 100): Promise<number> {
    return this.drain(batch, async (w, now) => {
      const claimed = await w.tx.lockDue('expires_at', now, batch);
      const expired = await w.tx.expire(
        claimed.flatMap((r) =>
          r.expires_at === null
            ? []
            : [
                {
                  id: r.id,
                  reason: `no decision before ${new Date(r.expires_at).toISOString()}; expired (fail closed)`,
                },
              ],
        ),
        w.now,
      );
      await w.changedAll(expired, 'action.decided');
      return expired.length;
    });
  }

  /** Fires due escalations: the escalation groups join the reviewers; returns how many requests escalated. */
  escalateDue(batch = 100): Promise<number> {
    return this.drain(batch, async (w, now) => {
      const claimed = await w.tx.lockDue('escalate_at', now, batch);
      const escalated = await w.tx.escalateAll(
        claimed.flatMap((r) => escalationOf(r, now) ?? []),
        w.now,
      );
      await w.changedAll(escalated, 'action.escalated');
      return escalated.length;
    });
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

/** What escalating `record` at `now` changes, or undefined if no rule is due. */
function escalationOf(record: ActionRecord, now: number): Escalation | undefined {
  if (!record.approval) return undefined;
  const due = record.approval.clauses.filter(
    (c) =>
      c.escalate &&
      !record.escalated_rules.includes(c.rule) &&
      record.created_at + c.escalate.after_ms <= now,
  );
  if (due.length === 0) return undefined;
  const escalatedRules = [...record.escalated_rules, ...due.map((c) => c.rule)];
  return {
    id: record.id,
    escalatedRules,
    nextEscalateAt: firstEscalation(record.approval, record.created_at, escalatedRules),
    newGroups: reviewGroups(record.approval, escalatedRules),
  };
}
