import type { ActionRecord } from '@countersign/core';
import type { NotificationEvent } from '../../notify/notification.js';
import type {
  Delivery,
  DeliveryContext,
  DeliveryPolicy,
  DeliveryResult,
  Notifier,
} from '../../notify/notifier.js';
import type { HostAllowlist } from './host-allowlist.js';
import { postWebhook } from './post-webhook.js';

/** The agent is called back when its request ends and when its result is recorded. */
const CALLBACK_EVENTS: ReadonlySet<NotificationEvent> = new Set([
  'action.decided',
  'action.reported',
]);

/**
 * The request's own `callback_url`: agent-supplied, hence checked against the host allowlist
 * when the row is written and again right before each attempt (the list may have shrunk in
 * between, across a restart). A refused URL is recorded on the row and never requested.
 */
export class CallbackNotifier implements Notifier {
  readonly name = 'callback';

  constructor(
    private readonly allowlist: HostAllowlist,
    /** Absent only while the allowlist is empty (config guarantees it). */
    private readonly secret: string | undefined,
    readonly delivery?: Partial<DeliveryPolicy>,
  ) {}

  wants(event: NotificationEvent, record: ActionRecord): boolean {
    return record.callback_url !== null && CALLBACK_EVENTS.has(event);
  }

  refuse(record: ActionRecord): string | undefined {
    return this.check(record.callback_url);
  }

  /** Why a callback to `url` would be refused (for the submit-time check), or undefined. */
  refusal(url: string): string | undefined {
    return this.check(url);
  }

  async deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    const url = delivery.payload.data.action.callback_url;
    const refusal = this.check(url);
    if (refusal !== undefined || url === null || this.secret === undefined) {
      return { ok: false, retry: false, error: refusal ?? 'no callback secret is configured' };
    }
    return postWebhook(url, this.secret, delivery, context.signal, context.now());
  }

  private check(url: string | null): string | undefined {
    if (url === null) return 'the request has no callback_url';
    if (this.secret === undefined)
      return 'callbacks are disabled: no callback secret is configured';
    return this.allowlist.refusal(url);
  }
}
