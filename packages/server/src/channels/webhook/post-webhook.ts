import type { Delivery, DeliveryResult } from '../../notify/notifier.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/**
 * One signed POST of a delivery's stored body, in the native format (docs/webhooks.md).
 */
export function postWebhook(
  url: string,
  secret: string,
  delivery: Delivery,
  signal: AbortSignal,
  nowMs: number,
): Promise<DeliveryResult> {
  return sendWebhook(
    url,
    {
      'content-type': 'application/json',
      'user-agent': 'Countersign-Webhooks/1',
      'countersign-event': delivery.event,
      'countersign-delivery': delivery.id,
      [SIGNATURE_HEADER.toLowerCase()]: signWebhook(
        secret,
        delivery.body,
        Math.floor(nowMs / 1000),
      ),
    },
    delivery.body,
    signal,
  );
}

/**
 * One POST of `body` with `headers` (both formats). 2xx: delivered. 410 Gone: the receiver
 * asks us to stop, so no retry. Anything else, a network error or a timeout: retry later.
 * Redirects are not followed: a redirect would let a receiver (or a callback host) bounce
 * the gateway to an internal address the allowlist never saw (SSRF).
 */
export async function sendWebhook(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  signal: AbortSignal,
): Promise<DeliveryResult> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', redirect: 'manual', signal, headers, body });
  } catch (e) {
    return { ok: false, retry: true, error: describeFetchError(e) };
  }
  // Nothing in the answer's body is used: drop it rather than buffer what a receiver sends.
  await res.body?.cancel().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return { ok: true };
  if (res.status === 410) {
    return {
      ok: false,
      retry: false,
      error: 'HTTP 410 Gone: the receiver asked not to be called again',
    };
  }
  if (res.status >= 300 && res.status < 400) {
    return { ok: false, retry: true, error: `HTTP ${res.status}: redirects are not followed` };
  }
  return { ok: false, retry: true, error: `HTTP ${res.status}` };
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
export function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : '';
  return detail ? `${e.message}: ${detail}` : e.message;
}
