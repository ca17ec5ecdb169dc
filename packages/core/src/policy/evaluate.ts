/**
 * Policy semantics: which rules match a request, and what they decide together.
 * @module
 */
import type { Decision } from '../model/status.js';
import type { ApprovalClause, PolicyDecision, PolicyInput, RuleTrace } from './types.js';
import type { PolicyDefaults } from './policy-document.js';
import type { CompiledRule } from './compiled-rule.js';
import { celBindings, type CelBindings } from './cel.js';
import { describeQuorum } from './describe-approval.js';
import { policyInputProblem } from './policy-input-problem.js';

/** What evaluation needs of a loaded policy. */
export interface EvaluablePolicy {
  rules: readonly CompiledRule[];
  defaults: PolicyDefaults;
  version: string;
}

/**
 * Decides a request. Every rule is tried in order: its globs first (cheap), then its `when`.
 * Among matching rules the most restrictive effect wins, deny > require_approval > allow;
 * a `when` that fails to evaluate counts as a deny (PRODUCT.md non-negotiable 1, fail
 * closed); no matching rule means the policy's default, which is deny unless it says allow.
 * Never throws: anything unexpected is a deny that says what went wrong.
 */
export function evaluatePolicy(policy: EvaluablePolicy, input: PolicyInput): PolicyDecision {
  try {
    const problem = policyInputProblem(input);
    if (problem !== undefined)
      return failClosed(policy.version, `invalid policy input: ${problem}`, []);
    return decide(policy, input);
  } catch (e) {
    return failClosed(
      policy.version,
      `policy evaluation failed: ${e instanceof Error ? e.message : String(e)}`,
      [],
    );
  }
}

function decide(policy: EvaluablePolicy, input: PolicyInput): PolicyDecision {
  const trace: RuleTrace[] = [];
  let bindings: CelBindings | undefined;
  let firstError: { rule: string; message: string } | undefined;
  let denying: CompiledRule[] | undefined;
  let approving: CompiledRule[] | undefined;
  let allowing: CompiledRule[] | undefined;
  let errored: string[] | undefined;

  for (const rule of policy.rules) {
    if (!rule.globsMatch(input)) continue;
    if (rule.condition !== undefined) {
      bindings ??= celBindings(input);
      const result = rule.condition.evaluate(bindings);
      if (result === false) {
        trace.push({
          rule: rule.id,
          outcome: 'skipped',
          effect: rule.effect,
          detail: rule.falseDetail,
        });
        continue;
      }
      if (result !== true) {
        trace.push({
          rule: rule.id,
          outcome: 'error',
          effect: 'deny',
          detail: rule.errorDetail(result.error),
        });
        firstError ??= { rule: rule.id, message: result.error };
        (errored ??= []).push(rule.id);
        continue;
      }
    }
    trace.push({
      rule: rule.id,
      outcome: 'matched',
      effect: rule.effect,
      detail: rule.matchedDetail,
    });
    if (rule.effect === 'deny') (denying ??= []).push(rule);
    else if (rule.effect === 'require_approval') (approving ??= []).push(rule);
    else (allowing ??= []).push(rule);
  }

  const version = policy.version;
  if (firstError !== undefined) {
    // The rules that decided are the failing ones and any that deny outright, in policy order.
    const deciding = trace
      .filter((t) => t.effect === 'deny' && t.outcome !== 'skipped')
      .map((t) => t.rule);
    const more = (errored?.length ?? 1) > 1 ? ` (and ${(errored?.length ?? 1) - 1} more)` : '';
    const reason = `rule ${firstError.rule} could not be evaluated: ${firstError.message}${more}; policy errors deny`;
    return { decision: 'deny', rules: deciding, reason, trace, policy_version: version };
  }
  if (denying !== undefined) {
    const first = denying[0];
    const reason = first.rule.reason ?? first.rule.description ?? `denied by rule ${first.id}`;
    return { decision: 'deny', rules: ids(denying), reason, trace, policy_version: version };
  }
  if (approving !== undefined) return requireApproval(policy, approving, trace);
  if (allowing !== undefined) {
    const first = allowing[0];
    const because = first.rule.reason ?? first.rule.description;
    const reason = `allowed by ${ids(allowing).join(', ')}${because !== undefined ? `: ${because}` : ''}`;
    return { decision: 'allow', rules: ids(allowing), reason, trace, policy_version: version };
  }
  const decision: Decision = policy.defaults.decision;
  return {
    decision,
    rules: [],
    reason: `no rule matched; default is ${decision}`,
    trace,
    policy_version: version,
  };
}

/** One clause per matching approval rule; the shortest timeout; justification if any asks. */
function requireApproval(
  policy: EvaluablePolicy,
  rules: CompiledRule[],
  trace: RuleTrace[],
): PolicyDecision {
  const clauses: ApprovalClause[] = [];
  let timeout = Infinity;
  let justification = false;
  for (const { id, rule } of rules) {
    const a = rule.approval;
    if (a === undefined) throw new Error(`rule ${id} requires approval but has no requirement`);
    // Fresh arrays: a caller that edits its decision must not be able to edit the policy.
    clauses.push({
      rule: id,
      from: [...a.from],
      groups: a.groups.map((g) => ({ ...g })),
      quorum: a.quorum,
      escalate: a.escalate && { after_ms: a.escalate.after_ms, to: [...a.escalate.to] },
      break_glass: [...a.break_glass],
      // Only when set, so requests under rules without them keep their stored shape.
      ...(a.step_up !== undefined ? { step_up: a.step_up } : {}),
      ...(a.standing !== undefined ? { standing: a.standing && { ...a.standing } } : {}),
      ...(a.notify?.slack !== undefined
        ? { notify: { slack: { ...a.notify.slack, channels: [...a.notify.slack.channels] } } }
        : {}),
    });
    timeout = Math.min(timeout, a.timeout_ms ?? policy.defaults.approval.timeout_ms);
    justification ||= a.justification_required;
  }
  const reason = `needs approval: ${clauses.map((c) => `${c.rule} (${describeQuorum(c)})`).join('; ')}`;
  return {
    decision: 'require_approval',
    rules: ids(rules),
    reason,
    trace,
    approval: {
      clauses,
      timeout_ms: timeout,
      on_timeout: policy.defaults.approval.on_timeout,
      justification_required: justification,
    },
    policy_version: policy.version,
  };
}

function ids(rules: readonly CompiledRule[]): string[] {
  return rules.map((r) => r.id);
}

function failClosed(version: string, reason: string, trace: RuleTrace[]): PolicyDecision {
  return { decision: 'deny', rules: [], reason, trace, policy_version: version };
}
