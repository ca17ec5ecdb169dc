import type { ActionRecord, Vote } from '@countersign/core';
import { voteDelayMs } from '../report/reviewer-load.js';
import type { Metrics } from './metrics.js';

/**
 * Told of each counted vote (VoteService `onCounted`): observes how long after its
 * notification it came and counts fast approvals (docs/fatigue.md). The notification time is
 * one read, off the vote's path; a failed read drops the observation rather than the vote.
 */
export function voteObserver(
  metrics: Metrics,
  notifiedAt: (actionId: string, before: number) => Promise<number | null>,
  fastApprovalMs: number,
): (vote: Vote, record: ActionRecord) => void {
  return (vote, record) => {
    void notifiedAt(vote.action_id, vote.at).then(
      (notified) => {
        const ms = voteDelayMs({
          at: vote.at,
          created_at: record.created_at,
          notified_at: notified,
        });
        metrics.voteSeconds.observe({ channel: vote.channel, outcome: vote.vote }, ms / 1000);
        if (vote.vote === 'approve' && ms <= fastApprovalMs) {
          metrics.fastApprovals.inc({ channel: vote.channel });
        }
      },
      () => undefined,
    );
  };
}
