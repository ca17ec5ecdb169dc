/**
 * The error a policy (or a policy test file) that cannot be loaded throws.
 * @module
 */
import { CountersignError } from '../errors.js';
import type { PolicyIssue } from './types.js';

/**
 * Every problem found in a policy or cases file, each with `file:line:column`. Loading
 * collects as many as it can, so one `policy check` run shows them all.
 */
export class PolicyLoadError extends CountersignError {
  readonly issues: PolicyIssue[];

  /** `subject` names what was being loaded, for the first line of the message. */
  constructor(issues: PolicyIssue[], subject = 'policy') {
    const lines = issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super('policy_invalid', `${subject} is invalid (${count}):\n${lines.join('\n')}`, { issues });
    this.issues = issues;
  }
}

export function isPolicyLoadError(e: unknown): e is PolicyLoadError {
  return e instanceof PolicyLoadError;
}
