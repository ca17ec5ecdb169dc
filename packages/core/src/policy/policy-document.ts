/**
 * The normalised policy document: what `loadPolicy` makes of the YAML once every default
 * is filled in and every duration is in milliseconds. Plain data, JSON-serialisable.
 * @module
 */
import type { Decision } from '../model/status.js';
import type { ApprovalClause } from './types.js';

/** Where something is in the policy source (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A rule's `match`: every key present must match; a list matches if any pattern does. */
export interface RuleMatch {
  action?: string[] | undefined;
  resource?: string[] | undefined;
  environment?: string[] | undefined;
  /** Agent id. */
  agent?: string[] | undefined;
}

/** A rule's `require_approval`, normalised (see ApprovalClause for the quorum semantics). */
export interface RuleApproval extends Omit<ApprovalClause, 'rule'> {
  /** The rule's own timeout, if it set one; the decision falls back to the default. */
  timeout_ms?: number | undefined;
  justification_required: boolean;
}

export interface PolicyRule {
  id: string;
  description?: string | undefined;
  match: RuleMatch;
  /** CEL condition over the request; absent means "always". */
  when?: string | undefined;
  /** What the rule decides when it matches. */
  effect: Decision;
  /** Present iff `effect` is `require_approval`. */
  approval?: RuleApproval | undefined;
  reason?: string | undefined;
  /** Where the rule starts in the source, for explanations and errors. */
  location: SourceLocation;
}

export interface PolicyDefaults {
  /** When no rule matches. Only `allow` or `deny`; `deny` unless the policy says otherwise. */
  decision: 'allow' | 'deny';
  approval: { timeout_ms: number; on_timeout: 'deny' };
}

export interface PolicyDocument {
  version: 1;
  defaults: PolicyDefaults;
  /** Dotted paths (`params.password`) the audit log redacts. */
  redact: string[];
  rules: PolicyRule[];
}
