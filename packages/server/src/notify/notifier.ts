import type { ActionRecord } from '@countersign/core';
import type { NotificationEvent } from './notification.js';
import type { NotificationPayload } from './notification-payload.js';
import type { ChannelState } from './channel-state.js';

/**
 * The plug-in role every channel implements (webhooks, per-request callbacks, Slack, Teams),
 * the way each kysely dialect implements `Dialect`. The dispatcher asks every registered
 * notifier whether it `wants` a notification, writes one outbox row per notifier that does
 * (in the transaction of the state change), and the delivery worker later calls `deliver`
 * for that row until it succeeds, is refused, or runs out of attempts.
 *
 * A notifier never touches the outbox, never retries by itself and never sleeps: it makes one
 * attempt and says how it went. Delivery is at least once, so `deliver` must be idempotent:
 * a channel that posts a message and later updates it (Slack, Teams) keeps the message
 * reference in `context.state` and checks it before posting again.
 *
 * @example
 * const audit: Notifier = {
 *   name: 'log',
 *   wants: (event) => event === 'action.decided',
 *   async deliver(delivery) {
 *     console.log(delivery.event, delivery.payload.data.action.id);
 *     return { ok: true };
 *   },
 * };
 */
export interface Notifier {
  /** The outbox `target` of its rows: `webhook:<name>`, `callback`, `slack`, `teams`. Unique. */
  readonly name: string;
  /**
   * Called synchronously inside the state change's transaction, for every change: keep it
   * cheap and free of I/O. `false` writes nothing. (Slack, say: every event of a request
   * that went to humans, `record.approval !== null`.)
   */
  wants(event: NotificationEvent, record: ActionRecord): boolean;
  /**
   * Optional: a reason this notification must never be delivered (say, a callback host that
   * is not allowed). The row is then written already failed, with the reason as `last_error`,
   * so the refusal is on record and nothing is ever sent.
   */
  refuse?(record: ActionRecord): string | undefined;
  /** Overrides of the worker's defaults (attempts, timeout, backoff) for this notifier's rows. */
  readonly delivery?: Partial<DeliveryPolicy>;
  /** One attempt. Must honour `context.signal` (timeout and shutdown). */
  deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult>;
}

/** One attempt to deliver one outbox row. */
export interface Delivery {
  /** The outbox row id: the same on every retry; sent to receivers so they can deduplicate. */
  id: string;
  target: string;
  event: NotificationEvent;
  action_id: string | null;
  /** 1 on the first attempt. */
  attempt: number;
  /** The JSON stored at enqueue time, byte for byte (what a webhook signs and sends). */
  body: string;
  payload: NotificationPayload;
}

export interface DeliveryContext {
  /** Aborted on timeout and on shutdown. */
  signal: AbortSignal;
  /** This notifier's state for this request (message references to update in place). */
  state: ChannelState;
  now(): number;
}

/**
 * `ok`: delivered, never sent again. `retry: true`: try later with backoff (network error,
 * 5xx, 429, timeout). `retry: false`: permanent refusal (410 Gone, a disallowed host).
 */
export type DeliveryResult = { ok: true } | { ok: false; retry: boolean; error: string };

export interface DeliveryPolicy {
  /** Attempts in all, the first included, before the row is marked failed. */
  maxAttempts: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Exponential: initial, 2×, 4×… capped at max, with jitter (see backoff.ts). */
  backoff: { initialMs: number; maxMs: number };
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 12,
  timeoutMs: 5000,
  backoff: { initialMs: 1000, maxMs: 10 * 60_000 },
};
