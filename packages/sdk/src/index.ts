/**
 * `@countersign/sdk`: ask a Countersign gateway before a privileged action, wait for the
 * humans, run only if approved, and verify grants offline. No runtime dependencies.
 *
 * Adapters for agent frameworks are subpath exports: `@countersign/sdk/ai` (Vercel AI SDK),
 * `@countersign/sdk/openai-agents`, `@countersign/sdk/langchain`.
 * @module
 */
export { Countersign, type CountersignOptions, type RequestOptions } from './countersign.js';
export {
  assertApproved,
  type Approval,
  type GuardClient,
  type GuardOptions,
  type RunReport,
} from './guard.js';
export type { WaitOptions } from './wait-for-decision.js';
export type { RetryInfo, RetryOptions } from './retry.js';
export {
  ActionCancelled,
  ActionDenied,
  ActionExpired,
  ActionRefused,
  ApiError,
  CountersignError,
  GatewayUnavailable,
  GrantInvalid,
  isCountersignError,
  type ErrorCode,
  type GatewayProblemCode,
  type SdkErrorCode,
} from './errors.js';
export { verifyGrant, type VerifyGrantOptions } from './grants/verify-grant.js';
export { actionDigest, type DigestInput } from './action-digest.js';
export { canonicalJson } from './canonical-json.js';
export type * from './wire-types.js';
