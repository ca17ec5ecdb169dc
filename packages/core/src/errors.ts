/**
 * Typed errors for everything Countersign refuses. The `code` is the stable, documented
 * contract (tests and clients match on it); the message is for humans and may change.
 * The HTTP mapping lives in exactly one place: server/src/http/problem.ts.
 * @module
 */

export type ErrorCode =
  // malformed or unacceptable input
  | 'invalid_request'
  | 'malformed_json'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'justification_required'
  // refused by the HTTP layer before any route (docs/api.md, "Errors")
  | 'uri_too_long'
  | 'headers_too_large'
  | 'request_timeout'
  // authentication and authorisation
  | 'unauthenticated'
  | 'invalid_token'
  | 'token_revoked'
  | 'forbidden'
  | 'not_found'
  // lifecycle
  | 'idempotency_conflict'
  | 'invalid_transition'
  | 'already_decided'
  | 'request_expired'
  | 'self_approval_forbidden'
  | 'not_eligible'
  | 'already_voted'
  | 'step_up_required'
  // a standing approval (docs/fatigue.md) the policy or its scope does not allow
  | 'standing_not_allowed'
  | 'not_subject'
  // grants and channels
  | 'invalid_signature'
  | 'grant_used'
  | 'grant_expired'
  | 'digest_mismatch'
  // configuration and policy
  | 'policy_invalid'
  | 'config_invalid'
  // audit: the Merkle log, its proofs and its signed checkpoints (see audit/audit-error.ts)
  | 'proof_malformed'
  | 'inclusion_proof_invalid'
  | 'consistency_proof_invalid'
  | 'tree_size_out_of_range'
  | 'checkpoint_malformed'
  | 'note_malformed'
  | 'note_key_invalid'
  | 'note_signature_invalid'
  | 'note_unverified'
  // the system itself
  | 'storage_unavailable'
  | 'internal';

export class CountersignError extends Error {
  override readonly name = 'CountersignError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra machine-readable members for the problem body (never secrets). */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export function isCountersignError(e: unknown): e is CountersignError {
  return e instanceof CountersignError;
}
