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
export {
  recordedRequests,
  type RecordedRequest,
  type RecordedRequestsOptions,
} from './recorded-requests.js';
export {
  CHANGE_KINDS,
  LOOSENED,
  TIGHTENED,
  classifyChange,
  humans,
  parseFailOn,
  replayPolicy,
  type ChangeKind,
  type ChangeBaseline,
  type ReplayExample,
  type ReplayOptions,
  type ReplayReport,
} from './replay.js';
export {
  suggestPolicy,
  type Suggestion,
  type SuggestionEvidence,
  type SuggestOptions,
  type SuggestResult,
} from './suggest.js';
export { unifiedDiff } from './unified-diff.js';
export { CelCondition, celBindings, type CelBindings } from './cel.js';
export { STANDING_DEFAULTS, STANDING_MAX_MS, STANDING_MAX_USES } from './read-approval.js';
