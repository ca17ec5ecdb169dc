import { createHmac } from 'node:crypto';
import { CountersignError, constantTimeEqual } from '@countersign/core';

/**
 * Webhook signatures, Stripe's scheme (https://docs.stripe.com/webhooks#verify-manually):
 * `Countersign-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the MAC, so a captured delivery cannot be replayed later than the
 * receiver's tolerance with a fresh `t` (replay), and the raw body is signed byte for byte,
 * so a receiver must verify before parsing (re-serialised JSON would not match).
 * @module
 */

export const SIGNATURE_HEADER = 'Countersign-Signature';

/** The header value for `body` at `timestampSeconds`. Each attempt is signed afresh. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

/**
 * Checks a `Countersign-Signature` header against the raw request body, for receivers.
 * Throws `CountersignError` with code `invalid_signature` when the header is missing or
 * malformed, when no `v1` signature matches (wrong secret, altered body), or when `t` is
 * more than `toleranceSeconds` away from now (a replay, or a badly wrong clock). Several
 * `v1` entries are accepted, so a sender can sign with an old and a new secret while the
 * secret is rotated. Comparison is constant-time.
 *
 * @example
 * import { verifyWebhookSignature } from '@countersign/server';
 * // Express: app.post('/hooks', express.raw({ type: 'application/json' }), (req, res) => {
 * verifyWebhookSignature(secret, req.get('countersign-signature'), req.body, 300);
 * const event = JSON.parse(req.body.toString('utf8'));
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Uint8Array,
  toleranceSeconds = 300,
  nowMs: number = Date.now(),
): { timestamp: number } {
  const { timestamp, candidates } = parseSignatureHeader(header, toleranceSeconds, nowMs);
  if (!anyMatches(hmacHex(secret, timestamp, rawBody), candidates)) throw invalid('mismatch');
  return { timestamp };
}

/** The members of a signature header; `h` is the CloudEvents modes' signed header list. */
export interface SignatureFields {
  timestamp: number;
  candidates: string[];
  signedHeaders: string | undefined;
}

/**
 * Parses `t=…,[h=…,]v1=…[,v1=…]` and checks that `t` is within the tolerance. The header is
 * attacker-controlled: parse it so that it can only fail with our error.
 */
export function parseSignatureHeader(
  header: string | null | undefined,
  toleranceSeconds: number,
  nowMs: number,
): SignatureFields {
  if (!header) throw invalid('missing');
  let timestamp: number | undefined;
  let signedHeaders: string | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid('malformed');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) throw invalid('malformed');
      timestamp = Number(value);
    } else if (key === 'h') {
      if (signedHeaders !== undefined) throw invalid('malformed');
      signedHeaders = value;
    } else if (key === 'v1') {
      candidates.push(value.toLowerCase());
    } // other schemes (v0, future v2) are ignored, as Stripe does
  }
  if (timestamp === undefined || candidates.length === 0) throw invalid('malformed');
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) throw invalid('stale');
  return { timestamp, candidates, signedHeaders };
}

/** Every candidate is compared, matched or not, so timing says nothing about which one. */
export function anyMatches(expected: string, candidates: readonly string[]): boolean {
  let match = false;
  for (const c of candidates) match = constantTimeEqual(expected, c) || match;
  return match;
}

/**
 * HMAC-SHA256 over `<t>.`, then each signed header as `<name>:<value>\n` (the CloudEvents
 * modes' `h=` list; none in the native format), then the body. Bytes are signed as received:
 * decoding a Buffer to text first could alter invalid UTF-8.
 */
export function hmacHex(
  secret: string,
  timestampSeconds: number,
  body: string | Uint8Array,
  signedHeaders: readonly (readonly [name: string, value: string])[] = [],
): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`);
  for (const [name, value] of signedHeaders) mac.update(`${name}:${value}\n`);
  return mac.update(body).digest('hex');
}

/** Why a signature was refused (`extra.reason` of the `invalid_signature` error). */
export type SignatureRefusal = 'missing' | 'malformed' | 'stale' | 'mismatch' | 'unsigned';

export function invalid(reason: SignatureRefusal): CountersignError {
  const messages: Record<SignatureRefusal, string> = {
    missing: 'no Countersign-Signature header',
    malformed: 'the Countersign-Signature header is malformed',
    stale: 'the signature timestamp is outside the tolerance (a replay, or a wrong clock)',
    mismatch: 'no signature matches the body and secret',
    unsigned: 'a ce- header is not covered by the signature',
  };
  return new CountersignError('invalid_signature', messages[reason], { reason });
}
