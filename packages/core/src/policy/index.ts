/**
 * The policy engine: YAML policies with glob matches and CEL conditions, evaluated to
 * allow, deny or require_approval with an explanation. See docs/policy.md.
 * @module
 */
export type * from './types.js';
export type * from './policy-document.js';
export { loadPolicy, type LoadPolicyOptions } from './load-policy.js';
export { CompiledPolicy } from './compiled-policy.js';
export { PolicyLoadError, isPolicyLoadError } from './policy-load-error.js';
export { explainDecision } from './explain.js';
export {
  runPolicyTests,
  type PolicyTestExpectation,
  type PolicyTestFailure,
  type PolicyTestReport,
} from './policy-tests.js';
export { parseDuration, formatDuration } from './duration.js';
export { describeQuorum, describeRequirement } from './describe-approval.js';
