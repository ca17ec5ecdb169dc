import type { JsonValue } from '@countersign/core';
import type { CriterionId } from './trust-criteria.js';

/**
 * The SOC 2 evidence report as data: what `--json` prints and what the HTML renders, field
 * for field. Times are RFC 3339 UTC strings; durations are milliseconds. Every string that
 * came from an agent or a reviewer has been through the policy's redaction (redactor.ts).
 */
export interface Soc2Report {
  format: 'countersign.soc2-report';
  version: 1;
  generated_at: string;
  period: { from: string; to: string; start: string; end: string; time_zone: 'UTC' };
  source: {
    store: 'sqlite' | 'postgres';
    /** The policy in force when the report was made: its version and redaction paths. */
    policy_version: string;
    redacted_paths: string[];
  };
  privileged_actions: PrivilegedActionsSection;
  approvals: ApprovalsSection;
  time_to_decision: TimeToDecisionSection;
  reviewer_load: ReviewerLoadSection;
  standing_approvals: StandingApprovalsSection;
  exceptions: ExceptionsSection;
  policy_changes: PolicyChangesSection;
  approver_groups: ApproverGroupsSection;
  log_integrity: LogIntegritySection;
}

/** What every section says about itself: which criteria it evidences, and why. */
export interface SectionHeader {
  title: string;
  criteria: CriterionId[];
  why: string;
}

/**
 * A request's outcome, from policy and people together: the policy allowed or denied it at
 * once, or it needed approval and was then approved, denied, expired, cancelled, or is
 * still pending.
 */
export type Outcome =
  | 'allowed_by_policy'
  | 'denied_by_policy'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'cancelled'
  | 'pending';

export const OUTCOMES: readonly Outcome[] = [
  'allowed_by_policy',
  'denied_by_policy',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'pending',
];

export interface CountRow {
  key: string;
  total: number;
  outcomes: Record<Outcome, number>;
}

/** One human decision on a request, as the report prints it. */
export interface DecisionVote {
  user: string;
  at: string;
  channel: string;
  comment: string | null;
  break_glass: boolean;
}

/** A request that needed approval. Redacted fields read `[redacted]`. */
export interface RequestRow {
  id: string;
  action: string;
  resource: string;
  environment: string;
  agent: string;
  on_behalf_of: string | null;
  requested_at: string;
  status: string;
  outcome: Outcome;
  decided_at: string | null;
  rules: string[];
  policy_version: string;
  justification: string | null;
  params: JsonValue;
  reason: string;
  approvers: DecisionVote[];
  denied_by: DecisionVote | null;
  break_glass: boolean;
  /** The standing approval that approved it (its endorsers are in `standing_approvals`). */
  standing_approval_id: string | null;
}

export interface PrivilegedActionsSection extends SectionHeader {
  total: number;
  by_outcome: Record<Outcome, number>;
  by_action: CountRow[];
  by_environment: CountRow[];
  /** Every request in the period that needed a human decision, oldest first. */
  approval_requests: RequestRow[];
}

export interface RefusedAttempt {
  request_id: string;
  user: string;
  vote: string;
  code: string;
  at: string;
  channel: string;
}

export interface ApprovalsSection extends SectionHeader {
  by_approver: Array<{ user: string; approvals: number; denials: number; break_glass: number }>;
  refused: {
    self_approval_forbidden: number;
    not_eligible: number;
    /** Other refusals (already decided, expired, already voted), by code. */
    other: Record<string, number>;
  };
  /** Refused votes cast in the period, oldest first. */
  refused_attempts: RefusedAttempt[];
  /**
   * Counted approvals by someone with a stake in the request (its `on_behalf_of` user or an
   * owner of the requesting agent, per the directory at report time). Expected: none.
   */
  interested_party_approvals: Array<{ request_id: string; user: string; at: string }>;
}

export interface Bucket {
  label: string;
  /** Inclusive lower bound and exclusive upper bound (null: unbounded), milliseconds. */
  min_ms: number;
  max_ms: number | null;
  count: number;
}

export interface TimeToDecisionSection extends SectionHeader {
  /** Requests decided by people (approved or denied, break-glass included). */
  decided: number;
  buckets: Bucket[];
  p50_ms: number | null;
  p90_ms: number | null;
  /** Requests that needed approval and got no human decision. */
  undecided: { expired: number; cancelled: number; pending: number };
}

/** One reviewer's or one rule's figures over the period (report/reviewer-load.ts). */
export interface LoadFigures {
  /** Counted votes cast in the period. */
  approvals: number;
  denials: number;
  /** approvals / (approvals + denials); null without votes. */
  approval_rate: number | null;
  /** Nearest-rank percentiles of the time from notification (else creation) to vote. */
  p50_ms: number | null;
  p90_ms: number | null;
  /** Approvals cast at most `fast_approval_threshold_ms` after notification (else creation). */
  fast_approvals: number;
  /** A reviewer: requests voted on; a rule: requests it sent to people (created in the period). */
  requests: number;
  requests_per_day: number;
}

export interface ReviewerLoadRow extends LoadFigures {
  user: string;
  /** The UTC day the reviewer voted on the most requests. */
  busiest_day: { date: string; requests: number } | null;
}

export interface RuleLoadRow extends LoadFigures {
  rule: string;
}

export interface ReviewerLoadSection extends SectionHeader {
  fast_approval_threshold_ms: number;
  /** Whole days the period spans: the divisor of `requests_per_day`. */
  days: number;
  votes: number;
  fast_approvals: number;
  reviewers: ReviewerLoadRow[];
  rules: RuleLoadRow[];
}

export interface ExceptionRow {
  id: string;
  action: string;
  resource: string;
  environment: string;
  agent: string;
  requested_at: string;
  decided_at: string | null;
  rules: string[];
  reason: string;
}

export interface BreakGlassRow extends ExceptionRow {
  approved_by: string;
  approved_at: string;
  /** The reason the break-glass user gave (mandatory). */
  comment: string | null;
  channel: string;
}

export interface ExceptionsSection extends SectionHeader {
  denied_by_policy: ExceptionRow[];
  denied_by_reviewer: ExceptionRow[];
  /** Requests nobody decided in time: refused (fail closed). */
  expired: ExceptionRow[];
  cancelled: ExceptionRow[];
  break_glass: BreakGlassRow[];
}

export interface PolicyChange {
  at: string;
  version: string;
  /** The version differs from the one loaded before it (false: a restart or a no-op reload). */
  changed: boolean;
  /** What made the gateway load it (`start`, `reload`), as recorded. */
  trigger: string | null;
  /** `user:alice`, `system:gateway`, … as the audit entry names the actor. */
  actor: string;
  /** Audit log index of the entry, so an auditor can ask for its inclusion proof. */
  index: number;
}

export interface PolicyVersionSeen {
  version: string;
  first_seen: string;
  last_seen: string;
  requests: number;
}

export interface PolicyChangesSection extends SectionHeader {
  /** `audit_log`: from `policy.loaded` entries; `requests`: the fallback (no audit log). */
  source: 'audit_log' | 'requests';
  note: string;
  changes: PolicyChange[];
  versions_seen: PolicyVersionSeen[];
}

export interface GroupMembership {
  id: string;
  description: string | null;
  members: Array<{ id: string; name: string | null; email: string | null }>;
  /** Rules whose approvals this group gives (`from`), and escalations it receives. */
  approves_for: string[];
  escalation_for: string[];
}

export interface ApproverGroupsSection extends SectionHeader {
  /**
   * Where membership comes from: `audit_log`, the directory replayed from its `directory.*`
   * evidence; `configuration`, the directory as configured when the report was made (a store
   * with no directory evidence before the period's end).
   */
  source: 'audit_log' | 'configuration';
  /** When the directory was first recorded in the log; null if never. */
  recorded_since: string | null;
  /** The moment `groups` and `admins` describe: the period's start (or the first record after it). */
  as_of: string;
  groups: GroupMembership[];
  break_glass_users: Array<{ user: string; rules: string[] }>;
  admins: string[];
  /** Every directory change recorded during the period, in order. */
  changes: DirectoryChangeRow[];
  /** Each counted approval of the period, checked against the directory at the time of the vote. */
  eligibility: EligibilityRow[];
  /** Approvals whose voter was not, per the recorded directory, eligible when voting. */
  ineligible_approvals: number;
}

export interface DirectoryChangeRow {
  at: string;
  /** The `directory.*` entry type, e.g. `directory.group_member_added`. */
  type: string;
  user: string | null;
  group: string | null;
  agent: string | null;
}

export interface EligibilityRow {
  request_id: string;
  user: string;
  at: string;
  /** How the vote counted: through a group, or as a break-glass approval. */
  basis: 'group' | 'break_glass';
  /** The request's approver groups (and escalation groups) the voter was in at `at`. */
  groups_then: string[];
  /** null when the directory was not recorded yet at `at`. */
  eligible: boolean | null;
}

export interface CheckpointEvidence {
  origin: string;
  size: number;
  root_hash: string;
  /** The signed note, verbatim. */
  note: string;
}

export interface LogIntegritySection extends SectionHeader {
  status: 'verified' | 'failed' | 'not_available';
  detail: string;
  /** Entries recomputed against the checkpoint. */
  entries: number | null;
  /** Entries appended after the checkpoint: not covered by this verification yet. */
  entries_after_checkpoint: number | null;
  /** On failure: `verifyLog`'s stable code, and the first bad entry when it is known. */
  failure: { code: string; first_bad_index: number | null } | null;
  checkpoint: CheckpointEvidence | null;
  verifier_key: string | null;
}

/** One standing approval that could approve requests in the period (docs/fatigue.md). */
export interface StandingApprovalRow {
  id: string;
  /** Its status when the report was made. */
  status: string;
  agent: string;
  action: string;
  environment: string;
  rules: string[];
  /** `digest sha256:…` or the CEL condition, as the reviewer wrote it. */
  scope: string;
  created_at: string;
  expires_at: string;
  /** The people who stand behind it, the proposer first. */
  endorsers: Array<{ user: string; at: string; channel: string }>;
  max_uses: number;
  /** Uses over its whole life; `requests` are those of the period. */
  uses: number;
  requests: string[];
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

export interface StandingApprovalsSection extends SectionHeader {
  items: StandingApprovalRow[];
  /** Requests of the period a standing approval approved. */
  requests_approved: number;
}
