import type { Bucket, TimeToDecisionSection } from './soc2-report.js';

const MINUTE = 60_000;

/** The report's buckets: under a minute, 1–5, 5–15, 15–60, over an hour. */
export const DECISION_BUCKETS: ReadonlyArray<Omit<Bucket, 'count'>> = [
  { label: '< 1 min', min_ms: 0, max_ms: MINUTE },
  { label: '1–5 min', min_ms: MINUTE, max_ms: 5 * MINUTE },
  { label: '5–15 min', min_ms: 5 * MINUTE, max_ms: 15 * MINUTE },
  { label: '15–60 min', min_ms: 15 * MINUTE, max_ms: 60 * MINUTE },
  { label: '> 60 min', min_ms: 60 * MINUTE, max_ms: null },
];

export interface Distribution {
  buckets: Bucket[];
  p50_ms: number | null;
  p90_ms: number | null;
}

/**
 * Buckets durations (milliseconds) and takes the 50th and 90th percentiles by the
 * nearest-rank method: the smallest observed value with at least p % of the values at or
 * below it. An observed value, never an interpolation, so an auditor can find the request.
 */
export function decisionDistribution(durations: readonly number[]): Distribution {
  const sorted = [...durations].sort((a, b) => a - b);
  const buckets = DECISION_BUCKETS.map((b) => ({
    ...b,
    count: sorted.filter((d) => d >= b.min_ms && (b.max_ms === null || d < b.max_ms)).length,
  }));
  const rank = (p: number) =>
    sorted.length === 0
      ? null
      : (sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null);
  return { buckets, p50_ms: rank(50), p90_ms: rank(90) };
}

/**
 * How long people took to decide the requests that needed them. Requests nobody decided are
 * counted apart: an expiry is the fail-closed path, not a slow decision.
 */
export function timeToDecision(
  records: ReadonlyArray<{ outcome: string; created_at: number; decided_at: number | null }>,
): TimeToDecisionSection {
  const durations = records
    .filter((r) => (r.outcome === 'approved' || r.outcome === 'denied') && r.decided_at !== null)
    // A clock step backwards between request and vote must not fall outside every bucket.
    .map((r) => Math.max(0, (r.decided_at ?? r.created_at) - r.created_at));
  const count = (o: string) => records.filter((r) => r.outcome === o).length;
  return {
    title: 'Time to decision',
    criteria: ['CC7.2'],
    why:
      'The distribution shows the approval control operating and makes anomalies visible: ' +
      'approvals in seconds suggest rubber-stamping, a long tail an unattended queue, so it is ' +
      'part of monitoring the control for anomalies (CC7.2).',
    decided: durations.length,
    ...decisionDistribution(durations),
    undecided: {
      expired: count('expired'),
      cancelled: count('cancelled'),
      pending: count('pending'),
    },
  };
}
