import type {
  Delivery,
  DeliveryContext,
  DeliveryPolicy,
  DeliveryResult,
} from '../../notify/notifier.js';
import type { CloudEventsMode, encodeCloudEvent } from './cloud-event-message.js';
import { signCloudEvent } from './cloud-event-signature.js';
import { sendWebhook } from './post-webhook.js';
import { WebhookNotifier, type WebhookEndpoint } from './webhook-notifier.js';
import { WebhookValidation } from './webhook-validation.js';

/**
 * The cloudevents SDK (with ajv, ~0.2 s to load) is loaded on the first CloudEvents delivery,
 * so a gateway or CLI without such an endpoint never pays for it.
 */
let encoding: Promise<{ encodeCloudEvent: typeof encodeCloudEvent }> | undefined;

/** What a CloudEvents endpoint needs from the gateway besides its own entry. */
export interface CloudEventsOptions {
  /** `server.public_url`: `source` is `<public_url>/v1/actions`, the origin is its host. */
  publicUrl: string;
  /** How long an endpoint's consent (the OPTIONS handshake) is trusted. */
  validationTtlMs: number;
}

/**
 * A configured endpoint with `format: cloudevents-structured | cloudevents-binary`
 * (docs/cloudevents.md): the same events, retries and outbox as the native format, sent as a
 * CloudEvent built and serialised by the cloudevents SDK, to an endpoint that consented in
 * the validation handshake (webhook-validation.ts). A refused handshake is a failed attempt
 * like a 5xx: retried with backoff, counted, audited (`action.notified`) and logged, and no
 * POST is made.
 */
export class CloudEventsNotifier extends WebhookNotifier {
  readonly #mode: CloudEventsMode;
  readonly #source: string;
  readonly #validation: WebhookValidation;

  constructor(
    endpoint: WebhookEndpoint,
    options: CloudEventsOptions,
    delivery?: Partial<DeliveryPolicy>,
  ) {
    super(endpoint, delivery);
    this.#mode = endpoint.format === 'cloudevents-binary' ? 'binary' : 'structured';
    this.#source = `${options.publicUrl.replace(/\/+$/, '')}/v1/actions`;
    this.#validation = new WebhookValidation(
      endpoint.url,
      new URL(options.publicUrl).hostname,
      options.validationTtlMs,
    );
  }

  override async deliver(delivery: Delivery, context: DeliveryContext): Promise<DeliveryResult> {
    const refusal = await this.#validation.refusal(context.signal, context.now());
    if (refusal !== undefined) return { ok: false, retry: true, error: refusal };
    const { encodeCloudEvent } = await (encoding ??= import('./cloud-event-message.js'));
    const message = encodeCloudEvent(delivery.payload, this.#source, this.#mode);
    const signature = signCloudEvent(
      this.endpoint.secret,
      message.headers,
      message.body,
      Math.floor(context.now() / 1000),
    );
    return sendWebhook(
      this.endpoint.url,
      {
        ...message.headers,
        'user-agent': 'Countersign-Webhooks/1',
        'countersign-delivery': delivery.id,
        'countersign-signature': signature,
        // Web Hooks §4.1.2: every delivery after the handshake names the same origin.
        'webhook-request-origin': this.#validation.origin,
      },
      message.body,
      context.signal,
    );
  }
}
