/**
 * Approval requirements in words, for reasons and explanations.
 * @module
 */
import type { ApprovalClause, ApprovalRequirement } from './types.js';
import { formatDuration } from './duration.js';

/**
 * Who must approve, briefly: `2 of data-owners`, `1 of data-owners + 1 of security`,
 * `3 of data-owners or security, including 1 of security`.
 */
export function describeQuorum(c: Pick<ApprovalClause, 'from' | 'groups' | 'quorum'>): string {
  const mins = c.groups.filter((g) => g.min > 0);
  if (mins.length === 0) return `${c.quorum} of ${c.from.join(' or ')}`;
  const parts = mins.map((g) => `${g.min} of ${g.group}`);
  const sum = mins.reduce((n, g) => n + g.min, 0);
  if (mins.length === c.from.length && sum === c.quorum) return parts.join(' + ');
  return `${c.quorum} of ${c.from.join(' or ')}, including ${parts.join(', ')}`;
}

/** One clause in full: quorum, escalation and break-glass users. */
export function describeClause(c: ApprovalClause): string {
  let text = `${c.rule}: ${describeQuorum(c)} (distinct people, never the requester or an owner of the agent)`;
  if (c.escalate !== undefined) {
    text += `; escalates to ${c.escalate.to.join(', ')} after ${formatDuration(c.escalate.after_ms)}`;
  }
  if (c.break_glass.length > 0) text += `; break-glass: ${c.break_glass.join(', ')}`;
  return text;
}

/** The whole requirement, one line per clause and a last line for timeout and justification. */
export function describeRequirement(a: ApprovalRequirement): string[] {
  const lines = a.clauses.map(describeClause);
  lines.push(
    `times out after ${formatDuration(a.timeout_ms)}, then ${a.on_timeout}` +
      (a.justification_required ? '; a justification is required' : ''),
  );
  return lines;
}
