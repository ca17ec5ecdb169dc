/**
 * Every error the SDK throws is a {@link CountersignError} with a stable `code`: match on the
 * class or the code, never on the message.
 * @module
 */
import type { ActionRecord, Problem } from './wire-types.js';

/** Codes the SDK raises itself. */
export type SdkErrorCode =
  /** An eligible reviewer (or the policy) said no. */
  | 'action_denied'
  /** Nobody decided in time: refused (fail closed). */
  | 'action_expired'
  /** Cancelled by the agent, or because the caller stopped waiting. */
  | 'action_cancelled'
  /** A retried idempotency key names a request whose action already ran. */
  | 'action_already_run'
  /** An approved record without a grant: refused rather than run unproven. */
  | 'grant_missing'
  /** The gateway did not answer after the bounded retries: nothing was run. */
  | 'gateway_unavailable'
  /** The keys to verify a grant with could not be fetched. */
  | 'jwks_unavailable'
  /** The runtime has no WebCrypto Ed25519. */
  | 'unsupported_runtime'
  /** The SDK was configured wrongly (no URL, no token). */
  | 'invalid_options';

/** Codes the gateway sends in its problem responses (docs/api.md, "Errors"). */
export type GatewayProblemCode =
  | 'malformed_json'
  | 'invalid_request'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'justification_required'
  | 'unauthenticated'
  | 'invalid_token'
  | 'token_revoked'
  | 'forbidden'
  | 'not_found'
  | 'idempotency_conflict'
  | 'already_decided'
  | 'request_expired'
  | 'invalid_transition'
  | 'storage_unavailable'
  | 'internal'
  | 'invalid_signature'
  | 'grant_expired'
  | 'digest_mismatch'
  | 'grant_used';

export type ErrorCode = SdkErrorCode | GatewayProblemCode;

/** The base of every SDK error. */
export class CountersignError<C extends string = ErrorCode> extends Error {
  override name = 'CountersignError';
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A request that ended without approval. `message` is the record's `message`, for a model. */
export abstract class ActionRefused<
  C extends 'action_denied' | 'action_expired' | 'action_cancelled',
> extends CountersignError<C> {
  /** The final record: votes with their comments, rules, explanation. */
  readonly record: ActionRecord;
  /** Why, in a few words: the record's `reason` (e.g. `denied by alice: no DPA`). */
  readonly reason: string;

  constructor(code: C, record: ActionRecord) {
    super(code, record.message);
    this.record = record;
    this.reason = record.reason;
  }
}

/** The policy or a reviewer denied the request. */
export class ActionDenied extends ActionRefused<'action_denied'> {
  override name = 'ActionDenied';
  constructor(record: ActionRecord) {
    super('action_denied', record);
  }
}

/** Nobody decided before `expires_at`: refused. */
export class ActionExpired extends ActionRefused<'action_expired'> {
  override name = 'ActionExpired';
  constructor(record: ActionRecord) {
    super('action_expired', record);
  }
}

/** The request was cancelled (by this agent, or because it stopped waiting). */
export class ActionCancelled extends ActionRefused<'action_cancelled'> {
  override name = 'ActionCancelled';
  constructor(record: ActionRecord) {
    super('action_cancelled', record);
  }
}

/** The gateway could not be reached (network error, 5xx, timeout) after bounded retries. */
export class GatewayUnavailable extends CountersignError<'gateway_unavailable'> {
  override name = 'GatewayUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super('gateway_unavailable', message, options);
  }
}

/** A refusal from the gateway (4xx problem): a bad request, a bad token, a wrong state. */
export class ApiError extends CountersignError<GatewayProblemCode> {
  override name = 'ApiError';
  /** HTTP status. */
  readonly status: number;
  /** The RFC 9457 body as sent. */
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(
      problem.code as GatewayProblemCode,
      `${problem.status} ${problem.code}: ${problem.detail}`,
    );
    this.status = problem.status;
    this.problem = problem;
  }
}

/** A grant that does not verify, or could not be verified (fail closed). */
export class GrantInvalid extends CountersignError<
  | 'invalid_signature'
  | 'grant_expired'
  | 'digest_mismatch'
  | 'jwks_unavailable'
  | 'unsupported_runtime'
> {
  override name = 'GrantInvalid';
}

/** Whether `e` is an error thrown by the SDK. */
export function isCountersignError(e: unknown): e is CountersignError<string> {
  return e instanceof CountersignError;
}
