import type { RequestCount } from '../storage/report-repository.js';
import { outcomeOf } from './request-row.js';
import {
  OUTCOMES,
  type CountRow,
  type Outcome,
  type PrivilegedActionsSection,
  type RequestRow,
} from './soc2-report.js';

const zero = (): Record<Outcome, number> =>
  Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

function countBy(counts: readonly RequestCount[], key: (c: RequestCount) => string): CountRow[] {
  const byKey = new Map<string, CountRow>();
  for (const c of counts) {
    const k = key(c);
    let row = byKey.get(k);
    if (!row) byKey.set(k, (row = { key: k, total: 0, outcomes: zero() }));
    row.total += c.n;
    row.outcomes[outcomeOf(c.decision, c.status)] += c.n;
  }
  return [...byKey.values()].sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
}

/**
 * Every request of the period, counted three ways (from the database's counts), and the ones
 * a human had to decide, one by one.
 */
export function privilegedActions(
  counts: readonly RequestCount[],
  rows: readonly RequestRow[],
): PrivilegedActionsSection {
  const byOutcome = zero();
  let total = 0;
  for (const c of counts) {
    byOutcome[outcomeOf(c.decision, c.status)] += c.n;
    total += c.n;
  }
  return {
    title: 'Privileged actions in the period',
    criteria: ['CC6.1', 'CC8.1'],
    why:
      'Every privileged action an agent attempted passed a policy decision before it could run, ' +
      'and the ones that change production were authorised by named people first, so access to ' +
      'protected assets is restricted (CC6.1) and changes are authorised before they are made (CC8.1).',
    total,
    by_outcome: byOutcome,
    by_action: countBy(counts, (c) => c.action),
    by_environment: countBy(counts, (c) => c.environment),
    approval_requests: rows.filter(
      (r) => r.outcome !== 'allowed_by_policy' && r.outcome !== 'denied_by_policy',
    ),
  };
}
