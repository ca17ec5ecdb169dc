import type { Kysely } from 'kysely';
import { CountersignError, newId, type ActionRecord } from '@countersign/core';
import type { Database } from '../storage/schema.js';
import type { NewOutboxRow, OutboxTx } from '../storage/outbox-repository.js';
import { DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
import type { Notification, NotificationEvent, NotificationSink } from './notification.js';
import { buildPayload } from './notification-payload.js';
import type { Notifier } from './notifier.js';
import { MonotonicIds } from './outbox-id.js';

export interface NotificationDispatcherOptions extends Omit<DeliveryWorkerOptions, 'notifiers'> {
  /** Decides whether a per-request `callback_url` may be used (see `checkCallbackUrl`). */
  callbackPolicy?: { refusal(url: string): string | undefined };
}

/**
 * The notifier seam. `enqueue` runs inside the transaction of each state change and writes
 * one outbox row per notifier that wants the notification; `deliverDue` (a scheduler job)
 * hands due rows to the delivery worker. With no notifier interested, `enqueue` writes
 * nothing and builds nothing: the hot path of auto-decided requests pays for a loop over
 * the registered notifiers and no more.
 */
export class NotificationDispatcher implements NotificationSink {
  readonly #notifiers: readonly Notifier[];
  readonly #worker: DeliveryWorker;
  readonly #ids = new MonotonicIds('dlv');
  readonly #now: () => number;

  constructor(
    db: Kysely<Database>,
    notifiers: readonly Notifier[],
    private readonly options: NotificationDispatcherOptions = {},
  ) {
    const names = new Set<string>();
    for (const n of notifiers) {
      if (names.has(n.name)) throw new Error(`two notifiers are named "${n.name}"`);
      names.add(n.name);
    }
    this.#notifiers = notifiers;
    this.#worker = new DeliveryWorker(db, { ...options, notifiers });
    this.#now = options.now ?? Date.now;
  }

  get notifiers(): readonly Notifier[] {
    return this.#notifiers;
  }

  /** Whether `enqueue` would write anything: lets the caller skip loading votes when not. */
  wants(event: NotificationEvent, record: ActionRecord): boolean {
    return this.#notifiers.some((n) => n.wants(event, record));
  }

  async enqueue(tx: OutboxTx, notification: Notification): Promise<void> {
    let rows: NewOutboxRow[] | undefined;
    let body: string | undefined;
    for (const notifier of this.#notifiers) {
      if (!notifier.wants(notification.event, notification.record)) continue;
      // One event id and one JSON body for every target of this notification.
      body ??= JSON.stringify(buildPayload(notification, newId('evt', notification.at)));
      const now = this.#now();
      const refusal = notifier.refuse?.(notification.record);
      (rows ??= []).push({
        id: this.#ids.next(now),
        action_id: notification.record.id,
        target: notifier.name,
        event: notification.event,
        payload: body,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        delivered_at: null,
        failed_at: refusal === undefined ? null : now,
        last_error: refusal ?? null,
      });
    }
    if (rows) await tx.enqueue(rows);
  }

  /**
   * For `ActionService.submit`: refuses a `callback_url` this gateway will never call, so the
   * agent hears it at once (a 400 it can act on) rather than never getting a callback. The
   * URL is chosen by the agent: without this an agent could aim the gateway at internal
   * hosts (SSRF). Delivery checks again, so a tightened allowlist applies to queued rows too.
   */
  checkCallbackUrl(url: string): void {
    const refusal = this.options.callbackPolicy?.refusal(url);
    if (refusal !== undefined) {
      throw new CountersignError('invalid_request', refusal, { field: 'callback_url' });
    }
  }

  /** The scheduler job: starts deliveries of due rows and returns without waiting for them. */
  deliverDue(): Promise<number> {
    return this.#worker.runDue();
  }

  /** Waits for the deliveries in flight (tests, graceful shutdown). */
  drain(): Promise<void> {
    return this.#worker.drain();
  }

  close(): Promise<void> {
    return this.#worker.close();
  }
}
