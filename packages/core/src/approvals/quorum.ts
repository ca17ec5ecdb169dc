import type { ApprovalClause, ApprovalRequirement } from '../policy/types.js';

/** An approval as the quorum sees it: who, and which groups they were in when they voted. */
export interface Approver {
  user: string;
  groups: readonly string[];
}

export interface ClauseProgress {
  rule: string;
  quorum: number;
  /** Distinct approvers who count toward this clause. */
  approvals: number;
  satisfied: boolean;
  /** Group minimums not yet met by a one-group-per-person assignment. */
  missing: Array<{ group: string; need: number }>;
}

export interface QuorumProgress {
  satisfied: boolean;
  clauses: ClauseProgress[];
}

/** The groups whose members count toward a clause: `from`, the minimums' groups, and escalation groups once escalated. */
export function clausePool(clause: ApprovalClause, escalated: boolean): Set<string> {
  const pool = new Set(clause.from);
  for (const m of clause.groups) pool.add(m.group);
  if (escalated && clause.escalate) for (const g of clause.escalate.to) pool.add(g);
  return pool;
}

/**
 * Whether the approvals satisfy every clause (PRODUCT.md non-negotiable 2: each human counts
 * once toward a quorum, however many groups they are in). Per clause: at least `quorum`
 * distinct approvers from the pool, and an assignment of approvers to group minimums in which
 * nobody fills two seats: a maximum bipartite matching. So one person in both `security` and
 * `platform` cannot satisfy "1 from security and 1 from platform" alone.
 */
export function quorumProgress(
  approval: ApprovalRequirement,
  approvers: readonly Approver[],
  escalatedRules: readonly string[] = [],
): QuorumProgress {
  const distinct = dedupe(approvers);
  const clauses = approval.clauses.map((clause) => {
    const pool = clausePool(clause, escalatedRules.includes(clause.rule));
    const counted = distinct.filter((a) => a.groups.some((g) => pool.has(g)));
    const missing = unmetMinimums(clause, counted);
    return {
      rule: clause.rule,
      quorum: clause.quorum,
      approvals: counted.length,
      satisfied: counted.length >= clause.quorum && missing.length === 0,
      missing,
    };
  });
  return { satisfied: clauses.every((c) => c.satisfied), clauses };
}

function dedupe(approvers: readonly Approver[]): Approver[] {
  const seen = new Map<string, Approver>();
  for (const a of approvers) if (!seen.has(a.user)) seen.set(a.user, a);
  return [...seen.values()];
}

/** Kuhn's augmenting paths: seats are group minimums, each approver takes at most one seat. */
function unmetMinimums(clause: ApprovalClause, approvers: readonly Approver[]) {
  const seats: string[] = clause.groups.flatMap((m) => Array<string>(m.min).fill(m.group));
  const seatOf = new Map<number, number>(); // approver index -> seat index
  const holder = new Array<number>(seats.length).fill(-1); // seat index -> approver index
  const tryAssign = (a: number, visited: Set<number>): boolean => {
    for (let s = 0; s < seats.length; s++) {
      if (visited.has(s) || !approvers[a].groups.includes(seats[s])) continue;
      visited.add(s);
      if (holder[s] === -1 || tryAssign(holder[s], visited)) {
        holder[s] = a;
        seatOf.set(a, s);
        return true;
      }
    }
    return false;
  };
  for (let a = 0; a < approvers.length; a++) tryAssign(a, new Set());
  const need = new Map<string, number>();
  seats.forEach((group, s) => {
    if (holder[s] === -1) need.set(group, (need.get(group) ?? 0) + 1);
  });
  return [...need].map(([group, n]) => ({ group, need: n }));
}
