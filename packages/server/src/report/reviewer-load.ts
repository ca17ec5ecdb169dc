import type { ReviewedRequest, TimedVote } from '../storage/insights-repository.js';
import type {
  LoadFigures,
  ReviewerLoadRow,
  ReviewerLoadSection,
  RuleLoadRow,
} from './soc2-report.js';
import { decisionDistribution } from './time-to-decision.js';

/** Approvals at or under this many milliseconds after notification are "fast" by default. */
export const DEFAULT_FAST_APPROVAL_MS = 10_000;

const DAY_MS = 86_400_000;

/**
 * How long a reviewer had the request in front of them when voting: from its first delivered
 * notification, or from its creation when nothing was delivered before the vote (the inbox,
 * the API). Never negative: a clock step back must not make a vote look instant-er than zero.
 */
export const voteDelayMs = (v: Pick<TimedVote, 'at' | 'created_at' | 'notified_at'>): number =>
  Math.max(0, v.at - (v.notified_at ?? v.created_at));

function figures(votes: readonly TimedVote[], requests: number, days: number, fastMs: number) {
  const approvals = votes.filter((v) => v.vote === 'approve');
  const decided = votes.length;
  const { p50_ms, p90_ms } = decisionDistribution(votes.map(voteDelayMs));
  return {
    approvals: approvals.length,
    denials: decided - approvals.length,
    approval_rate: decided === 0 ? null : approvals.length / decided,
    p50_ms,
    p90_ms,
    fast_approvals: approvals.filter((v) => voteDelayMs(v) <= fastMs).length,
    requests,
    requests_per_day: requests / days,
  } satisfies LoadFigures;
}

function groupBy<T>(items: readonly T[], keys: (item: T) => readonly string[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    for (const key of new Set(keys(item))) {
      const list = out.get(key);
      if (list) list.push(item);
      else out.set(key, [item]);
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Reviewer load and rubber-stamp indicators over a window (docs/fatigue.md): per reviewer
 * and per rule, approvals, denials, approval rate, nearest-rank p50/p90 of the time from
 * notification to vote, fast approvals and requests per day. Pure: votes cast in the window,
 * requests needing people created in it. A reviewer's requests are those they voted on; a
 * rule's, those it sent to people. Rows are sorted by id so two runs compare line by line.
 */
export function reviewerLoad(input: {
  window: { start: number; end: number };
  votes: readonly TimedVote[];
  requests: readonly ReviewedRequest[];
  fastApprovalMs: number;
}): ReviewerLoadSection {
  const { votes, fastApprovalMs: fast } = input;
  const days = Math.max(1, Math.ceil((input.window.end - input.window.start) / DAY_MS));
  const reviewers: ReviewerLoadRow[] = [...groupBy(votes, (v) => [v.user])].map(([user, vs]) => {
    const perDay = groupBy(vs, (v) => [new Date(v.at).toISOString().slice(0, 10)]);
    const requestsOn = (list: readonly TimedVote[]) => new Set(list.map((v) => v.action_id)).size;
    let busiest: ReviewerLoadRow['busiest_day'] = null;
    for (const [date, list] of perDay) {
      const n = requestsOn(list);
      if (!busiest || n > busiest.requests) busiest = { date, requests: n };
    }
    return { user, ...figures(vs, requestsOn(vs), days, fast), busiest_day: busiest };
  });
  const requestsByRule = groupBy(input.requests, (r) => r.rules);
  const votesByRule = groupBy(votes, (v) => v.rules);
  const ruleIds = [...new Set([...requestsByRule.keys(), ...votesByRule.keys()])].sort();
  const rules: RuleLoadRow[] = ruleIds.map((rule) => ({
    rule,
    ...figures(votesByRule.get(rule) ?? [], requestsByRule.get(rule)?.length ?? 0, days, fast),
  }));
  return {
    title: 'Reviewer load and rubber-stamp indicators',
    criteria: ['CC7.2'],
    why:
      'Approvals given within seconds of the notification, a reviewer who approves everything, ' +
      'or one asked to decide dozens of requests a day suggest the control is operating in ' +
      'form only (approval fatigue); monitoring for that is monitoring the control (CC7.2).',
    fast_approval_threshold_ms: fast,
    days,
    votes: votes.length,
    fast_approvals: reviewers.reduce((n, r) => n + r.fast_approvals, 0),
    reviewers,
    rules,
  };
}
