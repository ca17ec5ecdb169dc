/**
 * `countersign policy explain`: a decision in words.
 * @module
 */
import type { PolicyDecision } from './types.js';
import { describeRequirement } from './describe-approval.js';

/**
 * Renders a decision for a human: what was decided and why, every rule whose globs matched
 * with its outcome, the approval requirement, and the policy version.
 *
 * @example
 * console.log(explainDecision(policy.evaluate(input)));
 * // decision: deny
 * // reason: Agents never run DDL on production
 * // rules whose match globs fit the request:
 * //   matched  never-drop-prod -> deny: matched action db.ddl.*, environment production
 * // policy: sha256:3b0c…
 */
export function explainDecision(d: PolicyDecision): string {
  const lines = [`decision: ${d.decision}`, `reason: ${d.reason}`];
  if (d.rules.length > 0) lines.push(`decided by: ${d.rules.join(', ')}`);
  if (d.trace.length === 0) {
    lines.push('rules whose match globs fit the request: none');
  } else {
    lines.push('rules whose match globs fit the request:');
    for (const t of d.trace) {
      lines.push(`  ${t.outcome.padEnd(7)}  ${t.rule} -> ${t.effect}: ${t.detail}`);
    }
  }
  if (d.approval !== undefined) {
    lines.push('approval required (every line must be satisfied):');
    for (const line of describeRequirement(d.approval)) lines.push(`  ${line}`);
  }
  lines.push(`policy: ${d.policy_version}`);
  return lines.join('\n');
}
