/**
 * Waiting on a request: long-polls of at most `pollSeconds`, until it is no longer pending.
 * A gateway that goes away (network error, 5xx, a restart) is retried with backoff and the
 * wait resumes on the SAME request id: the request is durable on the gateway (PRODUCT.md,
 * non-negotiable 4), so nothing is submitted twice and no decision is missed.
 * @module
 */
import { GatewayUnavailable } from './errors.js';
import { abortReason, backoffDelay, sleep } from './retry.js';
import { TransientFailure, type Transport } from './transport.js';
import type { ActionRecord } from './wire-types.js';

export interface WaitOptions {
  /**
   * Stop waiting after this many ms and return the record, still `pending`. Default: no limit
   * (the gateway expires every request, so a wait always ends).
   */
  timeoutMs?: number;
  /** Stop waiting when aborted: rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Called with the pending record at once, then whenever a poll finds it changed (a vote, an
   * escalation): at most every `pollSeconds`.
   */
  onProgress?: (record: ActionRecord) => void;
  /**
   * Also cancel the request on the gateway when `signal` aborts. Default `false` for
   * `wait()` (the request outlives this waiter), `true` for `guard()` (it owns the request).
   */
  cancelOnAbort?: boolean;
}

/** Slack over the long-poll before a silent connection counts as lost. */
const POLL_GRACE_MS = 15_000;

/** The wait loop behind `Countersign.wait()`. */
export async function waitForDecision(
  transport: Transport,
  id: string,
  pollSeconds: number,
  options: WaitOptions,
  cancel: (reason: string) => Promise<unknown>,
): Promise<ActionRecord> {
  const { signal, onProgress } = options;
  const deadline = Date.now() + (options.timeoutMs ?? Infinity);
  const { retry, onRetry } = transport.settings;
  const path = `/v1/actions/${encodeURIComponent(id)}/wait`;
  let last: ActionRecord | undefined;
  let seen = '';
  let outageSince: number | undefined;
  let failures = 0;
  let peekFirst = onProgress !== undefined;
  const onAbort = () => {
    // Best effort, and never awaited by the aborted caller: it already has its answer.
    cancel('the agent stopped waiting').catch(() => undefined);
  };
  if (options.cancelOnAbort) signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const remainingMs = deadline - Date.now();
      if (last && remainingMs <= 0) return last;
      // The gateway takes fractional seconds; 0 answers with the record as it is now, which
      // is how a caller watching progress sees the pending record before the first long-poll.
      const seconds = peekFirst ? 0 : Math.max(0, Math.min(pollSeconds, remainingMs / 1000));
      try {
        const record = await transport.call<ActionRecord>(
          'GET',
          `${path}?timeout=${seconds.toFixed(3)}`,
          { signal, timeoutMs: seconds * 1000 + POLL_GRACE_MS },
        );
        outageSince = undefined;
        failures = 0;
        peekFirst = false;
        last = record;
        if (record.status !== 'pending') return record;
        const key = `${record.updated_at}|${record.votes.length}|${record.escalated_rules.join()}`;
        if (key !== seen) {
          seen = key;
          onProgress?.(record);
        }
      } catch (e) {
        if (!(e instanceof TransientFailure)) throw e;
        outageSince ??= Date.now();
        if (Date.now() - outageSince > retry.maxOutageMs) {
          throw new GatewayUnavailable(
            `lost the gateway for over ${Math.round(retry.maxOutageMs / 1000)} s while waiting on ${id}: ${e.message}`,
            { cause: e },
          );
        }
        const delayMs = Math.min(
          backoffDelay(retry, failures++, e.retryAfterMs),
          Math.max(0, deadline - Date.now()),
        );
        onRetry?.({ error: e, attempt: failures, delayMs, requestId: id });
        await sleep(delayMs, signal);
        if (Date.now() >= deadline) {
          if (last) return last;
          throw new GatewayUnavailable(`the gateway did not answer while waiting on ${id}`, {
            cause: e,
          });
        }
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
