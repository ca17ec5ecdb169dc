import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { retryDelay } from './backoff.js';
import { ChannelStateStore } from './channel-state.js';
import { ChannelMessageRepository } from '../storage/channel-message-repository.js';
import type { NotificationEvent } from './notification.js';
import type { NotificationPayload } from './notification-payload.js';
import {
  DEFAULT_DELIVERY_POLICY,
  type DeliveryPolicy,
  type DeliveryResult,
  type Notifier,
} from './notifier.js';
import { OutboxRepository, type OutboxRow } from '../storage/outbox-repository.js';

export interface DeliveryWorkerOptions {
  notifiers: readonly Notifier[];
  /** Defaults for every notifier; a notifier's own `delivery` overrides them. */
  policy?: Partial<DeliveryPolicy>;
  /** Deliveries running at once per process; a free slot is refilled as soon as it frees. */
  maxInFlight?: number;
  /** Added to the timeout to make the lease, so a lease never ends mid-attempt. */
  leaseMarginMs?: number;
  now?: () => number;
  random?: () => number;
  /** Unexpected errors (the store failing while recording an outcome). */
  onError?: (e: unknown) => void;
  /**
   * Every settled attempt: for metrics, logs and the audit trail. A promise it returns (the
   * audit entry's write) holds the attempt's slot until it settles, so `drain` and `close`
   * wait for it: the gateway closes the store only after every outcome is recorded.
   */
  onSettled?: (outcome: DeliveryOutcome) => void | Promise<void>;
}

export interface DeliveryOutcome {
  id: string;
  target: string;
  event: string;
  action_id: string | null;
  attempt: number;
  /** `released`: interrupted by shutdown; due again at once, the attempt not counted. */
  status: 'delivered' | 'retrying' | 'failed' | 'released';
  error?: string;
}

/**
 * Delivers due outbox rows. `runDue` claims rows (set-based, see `OutboxRepository.claim`) and
 * starts their deliveries, then returns without waiting for them; each settled delivery
 * claims again, so the scheduler's delivery loop only has to notice rows that newly came due.
 * It runs on its own loop: a hanging receiver (up to the timeout) or a backlog delays neither
 * the timers (expiry, escalation) nor any request.
 */
export class DeliveryWorker {
  readonly #store: OutboxRepository;
  readonly #state: ChannelStateStore;
  readonly #notifiers: ReadonlyMap<string, Notifier>;
  readonly #targets: string[];
  readonly #policy: DeliveryPolicy;
  readonly #maxInFlight: number;
  readonly #leaseMarginMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #shutdown = new AbortController();
  readonly #leaseMs: number;
  #claiming: Promise<number> | undefined;
  #again = false;
  /** While set, a settled delivery does not claim again: drain() is waiting for quiet. */
  #draining = false;
  #turn = 0;

  constructor(
    db: Kysely<Database>,
    private readonly options: DeliveryWorkerOptions,
  ) {
    this.#store = new OutboxRepository(db);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#state = new ChannelStateStore(new ChannelMessageRepository(db), this.#now);
    this.#notifiers = new Map(options.notifiers.map((n) => [n.name, n]));
    // Rows for a target this replica does not know (a channel not configured here, or
    // removed) are left alone, for a replica that knows it or for the operator.
    this.#targets = [...this.#notifiers.keys()];
    this.#policy = { ...DEFAULT_DELIVERY_POLICY, ...options.policy };
    this.#maxInFlight = options.maxInFlight ?? 16;
    this.#leaseMarginMs = options.leaseMarginMs ?? 30_000;
    this.#leaseMs =
      Math.max(0, ...options.notifiers.map((n) => this.policyOf(n).timeoutMs)) +
      this.#leaseMarginMs;
  }

  /**
   * Claims due rows, as many as there are free slots, and starts delivering them; resolves
   * with how many it started. Never two claims at once in one process: a call made while a
   * claim runs makes that claim go round again instead.
   */
  async runDue(): Promise<number> {
    if (this.#claiming) {
      this.#again = true;
      return this.#claiming;
    }
    this.#claiming = this.claimLoop();
    try {
      return await this.#claiming;
    } finally {
      this.#claiming = undefined;
    }
  }

  private async claimLoop(): Promise<number> {
    let started = 0;
    do {
      this.#again = false;
      const free = this.#maxInFlight - this.#inFlight.size;
      if (this.#shutdown.signal.aborted || free <= 0) break;
      const now = this.#now();
      // One lease for the whole claim, long enough for the slowest notifier's attempt.
      const lease = now + this.#leaseMs;
      // One claim per target (each an index range, see OutboxRepository.claim), starting from a
      // different target each time so a backlog on one cannot starve the others.
      let claimed = 0;
      this.#turn = (this.#turn + 1) % Math.max(1, this.#targets.length);
      for (let i = 0; i < this.#targets.length && claimed < free; i++) {
        const target = this.#targets[(this.#turn + i) % this.#targets.length];
        const rows = await this.#store.claim(target, now, free - claimed, lease);
        for (const row of rows) this.start(row, lease);
        claimed += rows.length;
      }
      started += claimed;
      // A full claim means more may be due: claim again while there are free slots.
      if (claimed === free) this.#again = true;
    } while (this.#again);
    return started;
  }

  /**
   * Runs one attempt in a slot. When it settles the slot is free, and the worker claims again
   * at once (not at the next tick), so a backlog drains at the receivers' pace, `maxInFlight`
   * at a time, instead of one batch per tick.
   */
  private start(row: OutboxRow, lease: number): void {
    const notifier = this.#notifiers.get(row.target);
    if (!notifier) return; // cannot happen: we claim only our targets
    const run = this.attempt(row, notifier, this.policyOf(notifier), lease)
      .catch((e: unknown) => this.options.onError?.(e))
      .finally(() => {
        this.#inFlight.delete(row.id);
        if (!this.#shutdown.signal.aborted && !this.#draining) {
          void this.runDue().catch((e: unknown) => this.options.onError?.(e));
        }
      });
    this.#inFlight.set(row.id, run);
  }

  /**
   * Resolves when every delivery started so far has settled, and no claim is under way. While
   * it waits, settled deliveries do not claim again (the next `runDue` resumes that): a claim
   * finishing after drain() returned would start a delivery nobody waited for, which a
   * shutdown right after would cut off mid-request.
   */
  async drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#inFlight.size > 0 || this.#claiming) {
        await Promise.allSettled([...this.#inFlight.values(), this.#claiming]);
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Stops claiming, aborts the attempts in flight and hands their rows back (due at once), so
   * a clean restart does not wait for leases to end. After a crash the leases end by themselves.
   */
  async close(): Promise<void> {
    this.#shutdown.abort(new Error('the gateway is shutting down'));
    await this.drain();
  }

  private policyOf(notifier: Notifier): DeliveryPolicy {
    return { ...this.#policy, ...notifier.delivery };
  }

  private async attempt(
    row: OutboxRow,
    notifier: Notifier,
    policy: DeliveryPolicy,
    lease: number,
  ): Promise<void> {
    const attempt = row.attempts + 1;
    if (this.#shutdown.signal.aborted) {
      // Claimed as the gateway began to stop: hand the row back unsent, due at once.
      await this.#store.settle(row.id, lease, { next_attempt_at: this.#now() });
      return;
    }
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = AbortSignal.any([this.#shutdown.signal, timeout]);
    let result: DeliveryResult;
    try {
      const payload = JSON.parse(row.payload) as NotificationPayload;
      result = await untilAborted(
        notifier.deliver(
          {
            id: row.id,
            target: row.target,
            event: row.event as NotificationEvent,
            action_id: row.action_id,
            attempt,
            body: row.payload,
            payload,
          },
          { signal, state: this.#state.for(notifier.name, row.action_id), now: this.#now },
        ),
        signal,
      );
    } catch (e) {
      result = { ok: false, retry: true, error: e instanceof Error ? e.message : String(e) };
    }
    const report = (status: DeliveryOutcome['status'], error?: string) =>
      this.options.onSettled?.({
        id: row.id,
        target: row.target,
        event: row.event,
        action_id: row.action_id,
        attempt,
        status,
        error,
      });
    const now = this.#now();
    if (result.ok) {
      await this.#store.settle(row.id, lease, {
        next_attempt_at: now,
        attempts: attempt,
        delivered_at: now,
        last_error: null,
      });
      return report('delivered');
    }
    if (this.#shutdown.signal.aborted) {
      await this.#store.settle(row.id, lease, { next_attempt_at: now });
      return report('released', result.error);
    }
    // A notifier that gave up because the signal fired reports an AbortError; say what it was.
    const error = truncate(
      timeout.aborted ? `no answer within ${policy.timeoutMs} ms` : result.error,
    );
    if (!result.retry || attempt >= policy.maxAttempts) {
      await this.#store.settle(row.id, lease, {
        next_attempt_at: now,
        attempts: attempt,
        failed_at: now,
        last_error: result.retry ? `gave up after ${attempt} attempts: ${error}` : error,
      });
      return report('failed', error);
    }
    await this.#store.settle(row.id, lease, {
      next_attempt_at: now + retryDelay(attempt, policy.backoff, this.#random),
      attempts: attempt,
      last_error: error,
    });
    return report('retrying', error);
  }
}

/** The notifier's promise, or a rejection as soon as the signal fires, whichever is first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function truncate(s: string, max = 500): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
