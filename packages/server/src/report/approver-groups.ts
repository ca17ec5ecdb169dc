import type { ActionRecord, CompiledPolicy, Vote } from '@countersign/core';
import type { Directory } from '../config/directory.js';
import { snapshotOf, type DirectorySnapshot } from '../config/directory-snapshot.js';
import type { DirectoryHistory } from './directory-history.js';
import type { ReportPeriod } from './report-period.js';
import { iso } from './request-row.js';
import type { ApproverGroupsSection, EligibilityRow } from './soc2-report.js';

export interface ApproverGroupsInput {
  /** The directory as configured now: descriptions, names and e-mail addresses only, unless
   * the log holds no directory evidence (then membership too, labelled as such). */
  directory: Directory;
  policy: CompiledPolicy;
  period: ReportPeriod;
  history: DirectoryHistory;
  requests: readonly ActionRecord[];
  votes: readonly Vote[];
}

/**
 * Who could approve what during the period: the directory replayed from the audit log's
 * `directory.*` evidence as it was at the period's start, every change recorded during the
 * period, and each counted approval checked against the directory at the moment of the vote.
 */
export function approverGroups(input: ApproverGroupsInput): ApproverGroupsSection {
  const { directory, policy, period, history } = input;
  const approves = new Map<string, string[]>();
  const escalation = new Map<string, string[]>();
  const breakGlass = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, k: string, rule: string) => {
    const list = m.get(k) ?? [];
    if (!list.includes(rule)) list.push(rule);
    m.set(k, list);
  };
  for (const rule of policy.rules) {
    for (const g of rule.approval?.from ?? []) add(approves, g, rule.id);
    for (const g of rule.approval?.escalate?.to ?? []) add(escalation, g, rule.id);
    for (const u of rule.approval?.break_glass ?? []) add(breakGlass, u, rule.id);
  }
  // The period's start, or the first record inside the period (a store that began then).
  const since = history.recordedSince;
  const asOf = since !== null && since > period.start && since < period.end ? since : period.start;
  const recorded = history.at(asOf);
  const state: DirectorySnapshot = recorded ?? snapshotOf(directory);
  const source = recorded ? 'audit_log' : 'configuration';
  const person = (id: string) => {
    const u = directory.users.get(id);
    return { id, name: u?.name ?? null, email: u?.email ?? null };
  };
  const users = Object.entries(state.users);
  const eligibility = input.votes
    .filter((v) => v.outcome === 'counted' && v.vote === 'approve')
    .map((v) => eligibilityOf(v, input.requests, history));
  return {
    title: 'Approver group membership',
    criteria: ['CC6.2'],
    why:
      'Only people registered in the directory and placed in a group the policy names can approve, ' +
      'so this list, replayed from the audit log as it was during the period, is the population ' +
      'of authorised approvers an auditor can check against joiner/mover/leaver records (CC6.2).',
    source,
    recorded_since: since === null ? null : iso(since),
    as_of: iso(recorded ? asOf : period.end),
    groups: state.groups
      .map((id) => ({
        id,
        description: directory.groups.get(id)?.description ?? null,
        members: users.filter(([, u]) => u.groups.includes(id)).map(([u]) => person(u)),
        approves_for: approves.get(id) ?? [],
        escalation_for: escalation.get(id) ?? [],
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    break_glass_users: [...breakGlass.entries()]
      .map(([user, rules]) => ({ user, rules }))
      .sort((a, b) => a.user.localeCompare(b.user)),
    admins: users
      .filter(([, u]) => u.admin)
      .map(([u]) => u)
      .sort(),
    changes: history.between(asOf, period.end).map(({ at, change }) => ({
      at: iso(at),
      type: change.type,
      user: 'user' in change ? change.user : null,
      group: 'group' in change ? change.group : null,
      agent: 'agent' in change ? change.agent : null,
    })),
    eligibility,
    ineligible_approvals: eligibility.filter((e) => e.eligible === false).length,
  };
}

/**
 * Whether the voter could approve this request at the moment of the vote, per the recorded
 * directory: in one of the groups its clauses draw approvers from (escalation groups included
 * once the rule escalated), or, for a break-glass approval, a user the clause names and
 * still in the directory.
 */
function eligibilityOf(
  v: Vote,
  requests: readonly ActionRecord[],
  history: DirectoryHistory,
): EligibilityRow {
  const r = requests.find((x) => x.id === v.action_id);
  const clauses = r?.approval?.clauses ?? [];
  const pool = new Set(
    clauses.flatMap((c) => [
      ...c.from,
      ...(c.escalate && r?.escalated_rules.includes(c.rule) ? c.escalate.to : []),
    ]),
  );
  const then = history.at(v.at);
  const user = then?.users[v.user];
  const groupsThen = (user?.groups ?? []).filter((g) => pool.has(g));
  const basis = v.break_glass ? 'break_glass' : 'group';
  const eligible =
    then === undefined
      ? null
      : user !== undefined &&
        (v.break_glass
          ? clauses.some((c) => c.break_glass.includes(v.user))
          : groupsThen.length > 0);
  return {
    request_id: v.action_id,
    user: v.user,
    at: iso(v.at),
    basis,
    groups_then: groupsThen,
    eligible,
  };
}
