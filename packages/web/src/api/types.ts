/**
 * The API's JSON as this page reads it (docs/api.md). Written by hand rather than imported
 * from the server: the web package talks to the API only (STYLE.md), like any other client.
 */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

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

export type Risk = 'low' | 'medium' | 'high' | 'critical';

export interface ApprovalClause {
  rule: string;
  from: string[];
  groups: { group: string; min: number }[];
  quorum: number;
  escalate?: { after_ms: number; to: string[] };
  break_glass?: string[];
  step_up?: 'web';
  /** What a standing approval of this rule may be (null: the rule forbids them; absent: an older gateway). */
  standing?: StandingLimits | null;
}

/** A rule's limits on standing approvals (docs/policy.md, `require_approval.standing`). */
export interface StandingLimits {
  max_ms: number;
  max_uses: number;
  critical: boolean;
}

export interface Approval {
  timeout_ms: number;
  on_timeout: string;
  justification_required: boolean;
  clauses: ApprovalClause[];
}

export interface RuleTrace {
  rule: string;
  outcome: string;
  effect: string;
  detail: string;
}

export interface Vote {
  user: string;
  vote: 'approve' | 'deny';
  comment: string | null;
  channel: string;
  at: string;
  break_glass: boolean;
}

export interface Progress {
  satisfied: boolean;
  clauses: {
    rule: string;
    quorum: number;
    approvals: number;
    satisfied: boolean;
    missing: { group: string; need: number }[];
  }[];
}

export interface ActionView {
  id: string;
  status: Status;
  decision: string;
  reason: string;
  message: string;
  rules: string[];
  digest: string;
  policy_version: string;
  /** `owners`: the agent's owners in the directory (absent from older gateways). */
  agent: { id: string; owners?: string[] };
  action: string;
  resource: string;
  environment: string;
  params: JsonObject;
  justification: string | null;
  risk: Risk | null;
  on_behalf_of: string | null;
  context: JsonObject | null;
  callback_url: string | null;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  decided_at: string | null;
  approval: Approval | null;
  progress: Progress | null;
  escalated_rules: string[];
  break_glass: boolean;
  votes: Vote[];
  explanation: RuleTrace[];
  result: { outcome: string; detail: JsonValue; at: string } | null;
  /** The standing approval that approved this request (absent from older gateways). */
  standing_approval_id?: string | null;
}

/** A vote's answer: the request, and the standing approval the vote created, if it asked for one. */
export type VoteResult = ActionView & { standing_approval?: StandingApproval };

export interface ActionList {
  items: ActionView[];
  next_cursor: string | null;
}

export interface TimelineEntry {
  index: number;
  at: string;
  type: string;
  actor: { kind: string; id: string };
  data: JsonObject;
  leaf_hash: string;
}

export interface SessionUser {
  id: string;
  name: string | null;
  email: string | null;
  groups: string[];
  admin: boolean;
  auditor: boolean;
}

export interface SessionInfo {
  user: SessionUser | null;
  csrf_token: string | null;
  expires_at: string | null;
  reason: string | null;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root_hash: string;
  note: string;
  verifier_key: string;
  created_at: string;
}

export type VerifyResult =
  | { ok: true; size: number; root_hash: string; origin: string; checkpoints_checked: number }
  | {
      ok: false;
      code: string;
      reason: string;
      first_bad_index?: number;
      range?: { from: number; to: number };
    };

export interface Verification {
  checkpoint: { size: number; root_hash: string; created_at: string };
  verifier_key: string;
  verified_at: string;
  result: VerifyResult;
}

export interface AuditEntries {
  from: number;
  to: number;
  size: number;
  entries: string[];
}

export interface PolicyRuleView {
  id: string;
  description: string | null;
  match: { action?: string[]; resource?: string[]; environment?: string[]; agent?: string[] };
  when: string | null;
  effect: 'allow' | 'deny' | 'require_approval';
  reason: string | null;
  approvers: string | null;
  approval:
    | (Omit<ApprovalClause, 'rule'> & { timeout_ms?: number; justification_required: boolean })
    | null;
  line: number;
}

export interface PolicyView {
  version: string;
  file: string;
  defaults: { decision: string; approval_timeout_ms: number; on_timeout: string };
  redact: string[];
  rules: PolicyRuleView[];
}

export interface Evaluation {
  decision: 'allow' | 'deny' | 'require_approval';
  reason: string;
  rules: string[];
  digest: string;
  policy_version: string;
  approval: Approval | null;
  explanation: RuleTrace[];
  explanation_text: string;
}

/** One reviewer's or one rule's figures (GET /v1/insights, docs/fatigue.md). */
export interface LoadFigures {
  approvals: number;
  denials: number;
  approval_rate: number | null;
  p50_ms: number | null;
  p90_ms: number | null;
  fast_approvals: number;
  requests: number;
  requests_per_day: number;
}

export interface Insights {
  period: { from: string; to: string; start: string; end: string };
  fast_approval_threshold_ms: number;
  days: number;
  votes: number;
  fast_approvals: number;
  reviewers: Array<
    LoadFigures & { user: string; busiest_day: { date: string; requests: number } | null }
  >;
  rules: Array<LoadFigures & { rule: string }>;
}

/** One side of a shadow comparison (GET /v1/policy/shadow). */
export interface ShadowSide {
  decision: string;
  rules: string[];
  policy_version: string;
}

/** The shadow policy and this replica's disagreements with the live one (docs/policy.md). */
export interface ShadowView {
  configured: boolean;
  file: string | null;
  version: string | null;
  live_version: string;
  since: string;
  counts: Record<string, number>;
  examples: {
    request_id: string;
    at: string;
    agent: string;
    action: string;
    kind: string;
    live: ShadowSide;
    shadow: ShadowSide;
  }[];
}

/** One request of a batch (GET /v1/batches): what sets it apart from the others. */
export interface BatchItem {
  id: string;
  digest: string;
  resource: string;
  created_at: string;
  expires_at: string | null;
  /** Flattened paths (`resource`, `params.a.b`, `justification`, …) whose values differ. */
  differs: Record<string, JsonValue>;
}

/** Alike pending requests (same rules, agent, action, environment, within the window). */
export interface Batch {
  key: string;
  rules: string[];
  agent_id: string;
  action: string;
  environment: string;
  oldest_at: string;
  /** Paths with one value across every item. */
  common: Record<string, JsonValue>;
  items: BatchItem[];
}

export interface BatchList {
  items: Batch[];
}

/** An item a batch vote could not decide (409 `batch_changed`), and why. */
export interface BatchChangedItem {
  id: string;
  code: string;
  status: string;
}

export type StandingStatus = 'proposed' | 'active' | 'revoked' | 'exhausted' | 'expired';

export const STANDING_FILTERS = ['all', 'active', 'proposed', 'revoked'] as const;

export interface StandingEndorser {
  user: string;
  groups: string[];
  channel: string;
  at: string;
}

/** A standing approval (GET /v1/standing-approvals/:id, docs/api.md). */
export interface StandingApproval {
  id: string;
  status: StandingStatus;
  source_action_id: string;
  agent_id: string;
  action: string;
  environment: string;
  rules: string[];
  approval: Approval;
  scope: { kind: 'digest'; digest: string } | { kind: 'condition'; when: string };
  max_uses: number;
  uses: number;
  expires_at: string;
  created_at: string;
  created_by: string;
  endorsers: StandingEndorser[];
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  /** Quorum progress over the endorsers, when the gateway sends it. */
  progress?: Progress | null;
  /** The requests it approved, oldest first (the single-record view only). */
  uses_log?: string[];
}
