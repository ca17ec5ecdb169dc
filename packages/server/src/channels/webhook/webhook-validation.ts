import { describeFetchError } from './post-webhook.js';

/**
 * The abuse-protection handshake of CloudEvents "HTTP 1.1 Web Hooks for Event Delivery" §4:
 * before delivering, ask the endpoint with `OPTIONS` and `WebHook-Request-Origin: <our
 * origin>` (§4.1, §4.1.2) whether it wants our events, and deliver only when it answers 2xx
 * with `WebHook-Allowed-Origin` equal to that origin or `*` (§4.2.1). §4.2 says a status code
 * alone is no consent (a server that answers every OPTIONS with 200 has not agreed), so the
 * header is required. A consent is kept for `ttlMs` of the injected clock, then asked again,
 * so a receiver that withdraws it is no longer called after at most one TTL.
 *
 * Not supported: `WebHook-Request-Callback` (§4.1.3, asynchronous consent),
 * `WebHook-Request-Rate` (§4.1.4, not sent) and throttling to `WebHook-Allowed-Rate`
 * (§4.2.2, ignored): a receiver that needs a lower rate answers 429, which is retried with
 * backoff like every other failure.
 */
export class WebhookValidation {
  #validUntil = -Infinity;
  /**
   * The question in flight: deliveries started together share one OPTIONS (under the first
   * one's signal; if that attempt times out, the others fail too and are retried).
   */
  #asking: Promise<string | undefined> | undefined;

  constructor(
    private readonly url: string,
    /** The `WebHook-Request-Origin`: the host of the gateway's `public_url`. */
    readonly origin: string,
    private readonly ttlMs: number,
  ) {}

  /** Undefined when the endpoint has consented (now or within the TTL), else why not. */
  async refusal(signal: AbortSignal, nowMs: number): Promise<string | undefined> {
    if (nowMs < this.#validUntil) return undefined;
    this.#asking ??= this.ask(signal).finally(() => {
      this.#asking = undefined;
    });
    const refusal = await this.#asking;
    // Only a consent is remembered: a refusal is asked again on the next attempt, so an
    // endpoint fixed by its operator is delivered to on the next retry.
    if (refusal === undefined) this.#validUntil = nowMs + this.ttlMs;
    return refusal === undefined ? undefined : `CloudEvents webhook validation: ${refusal}`;
  }

  private async ask(signal: AbortSignal): Promise<string | undefined> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'OPTIONS',
        redirect: 'manual',
        signal,
        headers: { 'webhook-request-origin': this.origin, 'user-agent': 'Countersign-Webhooks/1' },
      });
    } catch (e) {
      return `OPTIONS failed: ${describeFetchError(e)}`;
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) {
      return `the endpoint refused: OPTIONS answered HTTP ${res.status}`;
    }
    const allowed = res.headers.get('webhook-allowed-origin');
    if (allowed === null) {
      return 'the endpoint refused: no WebHook-Allowed-Origin in the OPTIONS answer';
    }
    const value = allowed.trim();
    // DNS names compare case-insensitively.
    if (value === '*' || value.toLowerCase() === this.origin.toLowerCase()) return undefined;
    // The receiver's text goes into logs and last_error: quoted and cut short.
    return `the endpoint refused: WebHook-Allowed-Origin ${JSON.stringify(value.slice(0, 100))} is not "${this.origin}" or "*"`;
  }
}
