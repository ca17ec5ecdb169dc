/**
 * @module
 * The one chat notifier loop, parametrised per vendor ({@link ChatVendor}) by Slack and Teams:
 * a request's message posted once to each destination, then updated in place on every later
 * event; destinations the vendor refused for good remembered, so they are neither retried
 * forever nor block the rest; every failure reported with its reason.
 */
import type { ActionRecord, JsonValue } from '@countersign/core';
import type { NotificationEvent } from '../../notify/notification.js';
import type {
  Delivery,
  DeliveryContext,
  DeliveryPolicy,
  DeliveryResult,
  Notifier,
} from '../../notify/notifier.js';
import type { RequestView } from '../../views/request-view.js';

/** How a failed vendor call is treated. */
export interface ChatFailure {
  error: string;
  /** Asking again cannot help (a deleted channel, a card Teams will never accept). */
  permanent: boolean;
  /** The posted message no longer exists (deleted by a person): forgotten, and no error. */
  gone: boolean;
}

/** A posted message, as the vendor needs it to update it (ids, ts), under its destination key. */
export type ChatPosted<R> = R & { key: string; notes?: string[] };

/** What a chat channel remembers about one request (`channel_messages`). */
export interface ChatState<R> {
  posted: Array<ChatPosted<R>>;
  refused: Array<{ key: string; error: string }>;
}

/** What a chat vendor supplies; everything else is this loop's. */
export interface ChatVendor<D extends { key: string }, R, M> {
  /** May ask the store (the request's alike batch, chat-batch.ts). */
  render(view: RequestView): M | Promise<M>;
  /** Where the request goes as of this event (an escalation adds destinations). */
  destinations(view: RequestView): D[];
  /** Posts; undefined when the destination has no conversation (an approver with no account). */
  post(dest: D, message: M, signal: AbortSignal): Promise<R | undefined>;
  update(posted: R, message: M, signal: AbortSignal): Promise<void>;
  failure(e: unknown): ChatFailure;
  /** Told when a destination refused for good: a metric and a log line, never silent. */
  refused(key: string, failure: ChatFailure, e: unknown, view: RequestView): void;
  /** The stored state, in the vendor's own (stable) shape. */
  readState(value: JsonValue | undefined): ChatState<R>;
  writeState(state: ChatState<R>): JsonValue;
  /**
   * A thread reply this event also deserves under every earlier message (an edit notifies
   * nobody; a reply does): Slack's escalation and expiry notes. Vendors without threads omit it.
   */
  note?(view: RequestView, event: NotificationEvent): ((posted: R) => Promise<void>) | undefined;
}

/**
 * A `Notifier` over a chat vendor. It runs from the outbox (docs/webhooks.md, "Writing a
 * channel"): never on the request path, one attempt per call, idempotent. References are saved
 * right after each post, so a retry updates what exists instead of posting it again.
 */
export class ChatNotifier<D extends { key: string }, R, M> implements Notifier {
  constructor(
    readonly name: string,
    readonly delivery: DeliveryPolicy,
    private readonly vendor: ChatVendor<D, R, M>,
  ) {}

  /** Every event of a request that went to humans; requests decided by policy alone never. */
  wants(_event: NotificationEvent, record: ActionRecord): boolean {
    return record.approval !== null;
  }

  async deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    const { vendor } = this;
    const { signal } = context;
    const view = delivery.payload.data.action;
    const state = vendor.readState(await context.state.get());
    const save = () => context.state.set(vendor.writeState(state));
    const message = await vendor.render(view);
    const problems: string[] = [];
    let retry = false;
    const failed = async (key: string, e: unknown, failure = vendor.failure(e)) => {
      problems.push(`${key}: ${failure.error}`);
      if (!failure.permanent) {
        retry = true;
        return;
      }
      // Visible now (the vendor's metric and log) and in the delivery's audit entry
      // (`action.notified`, status failed, with this reason); never retried, never silent.
      state.refused.push({ key, error: failure.error });
      vendor.refused(key, failure, e, view);
      await save();
    };

    // New destinations: the first event, or an escalation that added reviewers. A request
    // that is no longer pending is not announced anywhere new.
    const fresh = new Set<string>();
    if (view.status === 'pending') {
      for (const dest of vendor.destinations(view)) {
        if (signal.aborted) break;
        if (state.posted.some((p) => p.key === dest.key)) continue;
        if (state.refused.some((r) => r.key === dest.key)) continue;
        try {
          const posted = await vendor.post(dest, message, signal);
          if (posted === undefined) continue;
          state.posted.push({ ...posted, key: dest.key });
          fresh.add(dest.key);
          await save(); // before anything else can fail: a retry must not post it twice
        } catch (e) {
          await failed(dest.key, e);
        }
      }
    }

    // Every earlier message, in place. One that is gone, or that the vendor will never let
    // us update again, is forgotten; only one that is gone is no error.
    for (const p of [...state.posted]) {
      if (fresh.has(p.key) || signal.aborted) continue;
      try {
        await vendor.update(p, message, signal);
      } catch (e) {
        const failure = vendor.failure(e);
        if (failure.gone || failure.permanent) state.posted = state.posted.filter((x) => x !== p);
        if (failure.gone) await save();
        else await failed(p.key, e, failure);
      }
    }

    const note = vendor.note?.(view, delivery.event);
    for (const p of note === undefined ? [] : state.posted) {
      if (fresh.has(p.key) || p.notes?.includes(delivery.payload.id) || signal.aborted) continue;
      try {
        await note?.(p);
        p.notes = [...(p.notes ?? []), delivery.payload.id];
        await save();
      } catch (e) {
        await failed(p.key, e);
      }
    }

    if (signal.aborted) return { ok: false, retry: true, error: 'aborted' };
    if (problems.length === 0) return { ok: true };
    return { ok: false, retry, error: problems.join('; ') };
  }
}
