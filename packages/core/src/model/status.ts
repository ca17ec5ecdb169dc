/**
 * The request lifecycle. `pending` is the only state a human decision can change;
 * `approved` is the only state from which the agent reports a result.
 */
export type Status =
  'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'completed' | 'failed';

export const STATUSES: readonly Status[] = [
  'pending',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'completed',
  'failed',
];

/** What the policy said. */
export type Decision = 'allow' | 'deny' | 'require_approval';
