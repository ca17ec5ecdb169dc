import type { DeliveryPolicy } from './notifier.js';

/**
 * How long to wait after failed attempt number `attempt` (1-based): exponential (initial,
 * 2×, 4×, … capped at max) with "equal jitter" — a random point in the upper half of the
 * step — so that receivers recovering from an outage are not hit by every replica's retries
 * in lockstep, while each retry still waits at least half its step.
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/.
 *
 * @example
 * retryDelay(1, { initialMs: 1000, maxMs: 600_000 }, () => 1); // 1000
 * retryDelay(3, { initialMs: 1000, maxMs: 600_000 }, () => 0); // 2000 (half of 4000)
 */
export function retryDelay(
  attempt: number,
  backoff: DeliveryPolicy['backoff'],
  random: () => number = Math.random,
): number {
  // 2 ** 60 is already past any cap; bounding the exponent keeps the number finite.
  const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt - 1, 60));
  return Math.round(step / 2 + (step / 2) * random());
}
