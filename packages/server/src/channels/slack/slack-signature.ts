import { createHmac } from 'node:crypto';
import { CountersignError, constantTimeEqual } from '@countersign/core';

/**
 * Slack's request signing, version `v0`
 * (https://docs.slack.dev/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")>` with
 * the timestamp in `X-Slack-Request-Timestamp` (Unix seconds). The raw body is signed byte for
 * byte, so it is verified before anything parses it. The timestamp is inside the MAC, so a
 * captured request cannot be given a fresh one: refusing timestamps more than five minutes
 * away bounds how long a capture is replayable, and the replay cache closes that window.
 * @module
 */

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
/** Slack's recommended tolerance: five minutes either way. */
export const SLACK_TOLERANCE_SECONDS = 300;

export type SlackSignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch' | 'replayed';

/** `v0=<hex>` for `body` at `timestampSeconds`: what Slack sends (the fake Slack in tests). */
export function signSlackRequest(
  secret: string,
  timestampSeconds: number,
  body: string | Uint8Array,
): string {
  return `v0=${mac(secret, timestampSeconds, body)}`;
}

/**
 * Checks a request's signature headers against its raw body. Throws `CountersignError`
 * `invalid_signature` (with `extra.reason`) when a header is missing or malformed, when the
 * timestamp is more than `toleranceSeconds` from now (a replay, or a wrong clock), or when
 * the MAC does not match (another secret, an altered body). The comparison is constant-time.
 * Returns the timestamp, which bounds how long the replay cache must remember the request.
 */
export function verifySlackSignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Uint8Array,
  nowMs: number = Date.now(),
  toleranceSeconds: number = SLACK_TOLERANCE_SECONDS,
): { timestamp: number; signature: string } {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) throw slackSignatureError('missing');
  // Both headers are attacker-controlled: parse them so they can only fail with our error.
  if (!/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-fA-F]{64}$/.test(signature)) {
    throw slackSignatureError('malformed');
  }
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > toleranceSeconds) throw slackSignatureError('stale');
  const expected = mac(secret, seconds, rawBody);
  if (!constantTimeEqual(expected, signature.slice(3).toLowerCase())) {
    throw slackSignatureError('mismatch');
  }
  return { timestamp: seconds, signature: expected };
}

export function slackSignatureError(reason: SlackSignatureFailure): CountersignError {
  const messages: Record<SlackSignatureFailure, string> = {
    missing: 'no X-Slack-Signature or X-Slack-Request-Timestamp header',
    malformed: 'the Slack signature headers are malformed',
    stale:
      'the Slack request timestamp is more than five minutes away (a replay, or a wrong clock)',
    mismatch: 'the Slack signature does not match the body and signing secret',
    replayed: 'this Slack request was already accepted once (a replay)',
  };
  return new CountersignError('invalid_signature', messages[reason], { reason });
}

// The bytes as received: decoding to text first could alter invalid UTF-8 and break the MAC.
function mac(secret: string, timestampSeconds: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`v0:${timestampSeconds}:`).update(body).digest('hex');
}
