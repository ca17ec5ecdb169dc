import type { NotificationEvent } from '../../notify/notification.js';
import type {
  Delivery,
  DeliveryContext,
  DeliveryPolicy,
  DeliveryResult,
  Notifier,
} from '../../notify/notifier.js';
import { postWebhook } from './post-webhook.js';

export interface WebhookEndpoint {
  name: string;
  url: string;
  secret: string;
  /** The events it is subscribed to; all of them when absent. */
  events?: readonly NotificationEvent[] | undefined;
  /** What it is sent: the native JSON (docs/webhooks.md) or a CloudEvent (docs/cloudevents.md). */
  format: WebhookFormat;
}

export type WebhookFormat = 'native' | 'cloudevents-structured' | 'cloudevents-binary';

/**
 * A configured endpoint (`webhooks.endpoints[]`): the operator chose the URL, so it is
 * trusted as given (no host allowlist), and it hears the events it subscribed to.
 */
export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly #events: ReadonlySet<NotificationEvent> | undefined;

  constructor(
    protected readonly endpoint: WebhookEndpoint,
    readonly delivery?: Partial<DeliveryPolicy>,
  ) {
    this.name = `webhook:${endpoint.name}`;
    this.#events = endpoint.events && new Set(endpoint.events);
  }

  wants(event: NotificationEvent): boolean {
    return this.#events === undefined || this.#events.has(event);
  }

  deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    return postWebhook(
      this.endpoint.url,
      this.endpoint.secret,
      delivery,
      context.signal,
      context.now(),
    );
  }
}
