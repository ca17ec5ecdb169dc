import type {
  ActionRecord,
  AuditEntry,
  CompiledPolicy,
  StandingApproval,
  Vote,
} from '@countersign/core';
import type { Directory } from '../config/directory.js';
import type { DialectName } from '../storage/open-database.js';
import type { ReviewedRequest, TimedVote } from '../storage/insights-repository.js';
import type { RequestCount, VersionSeen } from '../storage/report-repository.js';
import { approverGroups } from './approver-groups.js';
import { DirectoryHistory } from './directory-history.js';
import { exceptions } from './exceptions.js';
import { policyChanges } from './policy-changes.js';
import { privilegedActions } from './privileged-actions.js';
import { ReportRedactor } from './report-redactor.js';
import type { ReportPeriod } from './report-period.js';
import { iso, requestRow } from './request-row.js';
import { DEFAULT_FAST_APPROVAL_MS, reviewerLoad } from './reviewer-load.js';
import { separationOfDuties } from './separation-of-duties.js';
import { standingApprovals } from './standing-approvals.js';
import type { LogIntegritySection, Soc2Report } from './soc2-report.js';
import { timeToDecision } from './time-to-decision.js';

/** Everything the report is made from, already read from the store. */
export interface Soc2ReportData {
  period: ReportPeriod;
  now: number;
  store: DialectName;
  /** The policy in force now: its redact paths and approval rules. */
  policy: CompiledPolicy;
  directory: Directory;
  /** Requests created in the period, counted by the database. */
  counts: readonly RequestCount[];
  /** Policy versions those requests were decided under. */
  versions: readonly VersionSeen[];
  /** The requests of the period that a rule denied or that needed people, and every vote on them. */
  requests: readonly ActionRecord[];
  votes: readonly Vote[];
  /** Refused votes cast in the period. */
  refused: readonly Vote[];
  /** Every `policy.loaded` entry of the log; null when the store has no audit log. */
  policyLoads: readonly AuditEntry[] | null;
  /** Redact paths of earlier policies, so a field redacted then stays redacted now. */
  earlierRedactPaths?: readonly string[] | undefined;
  integrity: LogIntegritySection;
  /** The log's `directory.*` entries up to the period's end, in index order. */
  directoryEntries?: readonly AuditEntry[] | undefined;
  /** Counted votes cast in the period, timed (reviewer load); none when absent. */
  timedVotes?: readonly TimedVote[] | undefined;
  /** Requests created in the period that needed people, with their rules. */
  reviewedRequests?: readonly ReviewedRequest[] | undefined;
  /** The fast-approval threshold; default DEFAULT_FAST_APPROVAL_MS. */
  fastApprovalMs?: number | undefined;
  /** Standing approvals alive in the period; none when absent. */
  standing?: readonly StandingApproval[] | undefined;
}

/** Assembles the report. Pure: the same data gives the same report. */
export function buildSoc2Report(d: Soc2ReportData): Soc2Report {
  const paths = [...new Set([...d.policy.redact, ...(d.earlierRedactPaths ?? [])])].sort();
  const redactor = new ReportRedactor(paths);
  const rows = d.requests.map((r) => requestRow(r, d.votes, redactor));
  const history = DirectoryHistory.fromEntries(d.directoryEntries ?? []);
  return {
    format: 'countersign.soc2-report',
    version: 1,
    generated_at: iso(d.now),
    period: {
      from: d.period.from,
      to: d.period.to,
      start: iso(d.period.start),
      end: iso(d.period.end),
      time_zone: 'UTC',
    },
    source: { store: d.store, policy_version: d.policy.version, redacted_paths: paths },
    privileged_actions: privilegedActions(d.counts, rows),
    approvals: separationOfDuties({
      requests: d.requests,
      votes: d.votes,
      refused: d.refused,
      directory: d.directory,
      history,
      standing: d.standing,
    }),
    time_to_decision: timeToDecision(
      d.requests.map((r, i) => ({
        outcome: rows[i]?.outcome ?? 'pending',
        created_at: r.created_at,
        decided_at: r.decided_at,
      })),
    ),
    reviewer_load: reviewerLoad({
      window: { start: d.period.start, end: d.period.end },
      votes: d.timedVotes ?? [],
      requests: d.reviewedRequests ?? [],
      fastApprovalMs: d.fastApprovalMs ?? DEFAULT_FAST_APPROVAL_MS,
    }),
    standing_approvals: standingApprovals(d.standing ?? [], d.requests, d.now),
    exceptions: exceptions(rows),
    policy_changes: policyChanges(d.versions, d.policyLoads, d.period),
    approver_groups: approverGroups({
      directory: d.directory,
      policy: d.policy,
      period: d.period,
      history,
      requests: d.requests,
      votes: d.votes,
    }),
    log_integrity: d.integrity,
  };
}
