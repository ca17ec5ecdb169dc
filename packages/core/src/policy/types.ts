import type { Decision } from '../model/status.js';
import type { JsonObject } from '../model/json.js';
import type { Risk } from '../model/action-request.js';

/**
 * What a policy sees of a request. CEL `when` expressions are evaluated over exactly these
 * variables: `action`, `resource`, `environment`, `params`, `risk`, `justification`,
 * `on_behalf_of`, `context`, `agent` (`agent.id`, `agent.owners`).
 */
export interface PolicyInput {
  action: string;
  resource: string;
  environment: string;
  params: JsonObject;
  risk?: Risk | undefined;
  justification?: string | undefined;
  on_behalf_of?: string | undefined;
  context?: JsonObject | undefined;
  agent: { id: string; owners: readonly string[] };
}

/** At least `min` of the distinct approvers must be members of `group`. */
export interface GroupMinimum {
  group: string;
  min: number;
}

/**
 * One rule's approval requirement. Satisfied when at least `quorum` distinct humans from
 * the pool (`from`, plus `escalate.to` once escalated) approve, and the approvers can be
 * assigned one group each so that every `groups[i].min` is met (each human counts once).
 */
export interface ApprovalClause {
  rule: string;
  from: string[];
  groups: GroupMinimum[];
  quorum: number;
  escalate?: { after_ms: number; to: string[] } | undefined;
  /** Users who may force-approve with a mandatory reason (issue 3). */
  break_glass: string[];
  /**
   * The rule's `step_up: web`: approving needs the web UI (single sign-on), so chat channels
   * link there instead of approving in place. Absent: any channel may approve.
   */
  step_up?: 'web' | undefined;
  /** The rule's `notify`: where else to ask for its approvals (chat channels). */
  notify?: ApprovalNotify | undefined;
  /**
   * The rule's `standing` block (docs/fatigue.md, standing approvals): present only when the
   * policy wrote one, `null` for `standing: false`. Absent means the defaults, except under
   * `step_up: web`, where absent forbids them: read it through `standingLimits(clause)`.
   */
  standing?: StandingLimits | null | undefined;
}

/** How far a standing approval of one rule may reach. */
export interface StandingLimits {
  /** The longest a standing approval may last, in milliseconds. */
  max_ms: number;
  /** The most uses one standing approval may have. */
  max_uses: number;
  /** Whether it may cover requests with `risk: critical`. */
  critical: boolean;
}

/** A rule's `notify` block: extra places its approval requests are posted. */
export interface ApprovalNotify {
  /** Slack channels (ids such as `C0123ABCD`, or `#names`), and whether to DM each approver. */
  slack?: { channels: string[]; dm: boolean } | undefined;
}

/**
 * The combined requirement of every matching approval rule: each clause must be satisfied.
 * The shortest timeout wins; justification is required if any rule requires it.
 */
export interface ApprovalRequirement {
  clauses: ApprovalClause[];
  timeout_ms: number;
  on_timeout: 'deny';
  justification_required: boolean;
}

/** Why one rule did or did not take part in a decision. */
export interface RuleTrace {
  rule: string;
  /** `matched`: globs and `when` held; `skipped`: globs did not match or `when` was false; `error`: `when` failed. */
  outcome: 'matched' | 'skipped' | 'error';
  effect: Decision;
  /** Human-readable: which field did not match, what `when` returned, or the CEL error. */
  detail: string;
}

export interface PolicyDecision {
  decision: Decision;
  /** Ids of the rules that decided (all matching rules of the winning effect; empty for the default). */
  rules: string[];
  /** One line an agent or a human can read: the deciding rule's `reason`/description, or the default. */
  reason: string;
  /** Every rule whose globs matched, in policy order, with its outcome. */
  trace: RuleTrace[];
  /** Present iff decision is `require_approval`. */
  approval?: ApprovalRequirement | undefined;
  /** `sha256:<hex>` of the canonical JSON of the parsed policy document. */
  policy_version: string;
}

/** A problem found while loading a policy: where, and why. */
export interface PolicyIssue {
  file: string;
  line: number;
  column: number;
  message: string;
}
