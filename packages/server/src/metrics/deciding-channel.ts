import type { ActionRecord, Vote } from '@countersign/core';

/**
 * What decided a request, for `countersign_time_to_decision_seconds`: `policy` when it was
 * decided at submission, `agent` when the agent cancelled it, the channel of the last counted
 * vote that agrees with the outcome when a vote decided it, and `timer` otherwise (it expired,
 * or a deadline decided it).
 */
export function decidingChannel(record: ActionRecord, votes: readonly Vote[]): string {
  if (record.decided_at === record.created_at) return 'policy';
  if (record.status === 'cancelled') return 'agent';
  const choice =
    record.status === 'approved' ? 'approve' : record.status === 'denied' ? 'deny' : undefined;
  const deciding = votes
    .filter((v) => v.outcome === 'counted' && v.vote === choice)
    .filter((v) => record.decided_at === null || v.at <= record.decided_at)
    .sort((a, b) => a.at - b.at)
    .at(-1);
  return deciding?.channel ?? 'timer';
}
