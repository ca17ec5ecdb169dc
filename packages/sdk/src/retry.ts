/**
 * Backoff for an unreachable gateway. Every call the SDK retries is safe to repeat: submits
 * carry an idempotency key, waits and reads change nothing.
 * @module
 */

/** How hard the SDK tries before it gives up on the gateway. */
export interface RetryOptions {
  /** Attempts for one call (submit, read, cancel, report) before `GatewayUnavailable`. Default 5. */
  attempts?: number;
  /** First backoff delay in ms; it doubles per attempt. Default 250. */
  baseDelayMs?: number;
  /** Largest backoff delay in ms. Default 15 000. */
  maxDelayMs?: number;
  /**
   * How long `wait()` keeps retrying a gateway that stopped answering (a restart, a network
   * blip) before it gives up with `GatewayUnavailable`, in ms. Default 15 minutes.
   */
  maxOutageMs?: number;
}

export type ResolvedRetry = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetry = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  maxOutageMs: 15 * 60_000,
};

/** What the `onRetry` hook is told before each backoff. */
export interface RetryInfo {
  /** The failure that is being retried. */
  error: Error;
  /** 1 for the first retry. */
  attempt: number;
  /** How long the SDK sleeps before the next attempt. */
  delayMs: number;
  /** The request being waited on, for retries inside `wait()`. */
  requestId?: string;
}

/**
 * Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): half the capped exponential delay is fixed, half random, so many agents that lost
 * the same gateway at the same moment do not come back in lockstep, yet none retries at once.
 */
export function backoffDelay(retry: ResolvedRetry, attempt: number, hintMs = 0): number {
  const capped = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.min(attempt, 30));
  const delay = capped / 2 + Math.random() * (capped / 2);
  // A Retry-After from the gateway is a floor, still capped so a bad header cannot stall us.
  return Math.round(Math.min(retry.maxDelayMs, Math.max(delay, hintMs)));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error an aborted operation rejects with, as fetch does: the signal's reason. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}
