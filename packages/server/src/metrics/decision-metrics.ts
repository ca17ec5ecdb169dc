import type { ActionRecord, Vote } from '@countersign/core';
import type { ActionEvents } from '../actions/action-events.js';
import { decidingChannel } from './deciding-channel.js';
import type { Metrics } from './metrics.js';

/**
 * Told once a decision has committed (ActionService `onDecided`): counts its grant and
 * observes how long it took and which channel decided it.
 */
export function decisionObserver(
  metrics: Metrics,
  votesOf: (id: string) => Promise<Vote[]>,
): (record: ActionRecord) => void {
  return (r) => {
    if (r.grant) metrics.grantsIssued.inc();
    if (r.decided_at === null) return;
    const seconds = Math.max(0, (r.decided_at - r.created_at) / 1000);
    // Only a later decision can have come from a vote: one read of its votes, off the hot path.
    const votes = r.decided_at === r.created_at ? Promise.resolve([]) : votesOf(r.id);
    void votes.then(
      (v) =>
        metrics.timeToDecision.observe(
          { outcome: r.status, channel: decidingChannel(r, v) },
          seconds,
        ),
      () => undefined,
    );
  };
}

/** Counts the transitions of requests after their submission (votes, timers, cancels). */
export function countTransitions(metrics: Metrics, events: ActionEvents): void {
  events.subscribeAll((r) => {
    if (r.status !== 'pending' && r.decided_at !== r.created_at)
      metrics.transitions.inc({ status: r.status });
  });
}
