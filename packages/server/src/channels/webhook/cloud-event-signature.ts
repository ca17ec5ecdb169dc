import { anyMatches, hmacHex, invalid, parseSignatureHeader } from './webhook-signature.js';

/**
 * The signature of a CloudEvents delivery (docs/cloudevents.md "Signature"). In binary mode
 * the event's attributes travel as `ce-*` headers (HTTP binding §3.1.3) and only `data` is
 * the body, so signing the body alone would let anyone on the path change `ce-type` or
 * `ce-subject` and keep a valid signature. So the MAC covers the headers too:
 *
 *   Countersign-Signature: t=<unix seconds>,h=<names;…>,v1=<hex HMAC-SHA256(secret, S)>
 *   S = "<t>." + for each name in h: "<name>:<value as sent>\n" + raw body
 *
 * `h` lists `content-type`, then every `ce-*` header sent (lower-case, sorted). Both CloudEvents
 * modes use it: in structured mode `h` is just `content-type`, which decides how the body is
 * read (§3.2.1; a receiver told `application/json` would read the same bytes as binary-mode
 * data with attacker-chosen `ce-*` headers). A receiver must refuse a `ce-*` header that is
 * not in `h` (added on the way): `verifyCloudEventSignature` does.
 * @module
 */

/** The header value for a CloudEvents message (`headers` lower-case, as they will be sent). */
export function signCloudEvent(
  secret: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  timestampSeconds: number,
): string {
  const names = signedHeaderNames(Object.keys(headers));
  const mac = hmacHex(
    secret,
    timestampSeconds,
    body,
    names.map((n) => [n, headers[n] ?? ''] as const),
  );
  return `t=${timestampSeconds},h=${names.join(';')},v1=${mac}`;
}

/**
 * Checks a CloudEvents delivery, for receivers: `headers` as Node gives them
 * (`req.headers`, lower-case names), `rawBody` the bytes received. Throws `CountersignError`
 * `invalid_signature` (`extra.reason`: `missing`, `malformed`, `stale`, `mismatch`, or
 * `unsigned` when a `ce-*` header is not covered). Verify before `HTTP.toEvent`.
 *
 * @example
 * verifyCloudEventSignature(secret, req.headers, rawBody, 300);
 * const event = HTTP.toEvent({ headers: req.headers, body: rawBody.toString('utf8') });
 */
export function verifyCloudEventSignature(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  rawBody: string | Uint8Array,
  toleranceSeconds = 300,
  nowMs: number = Date.now(),
): { timestamp: number } {
  const header = headers['countersign-signature'];
  if (Array.isArray(header)) throw invalid('malformed');
  const { timestamp, candidates, signedHeaders } = parseSignatureHeader(
    header,
    toleranceSeconds,
    nowMs,
  );
  if (signedHeaders === undefined) throw invalid('malformed');
  const names = signedHeaders.split(';');
  if (
    !names.includes('content-type') ||
    new Set(names).size !== names.length ||
    names.some((n) => !/^[a-z0-9-]+$/.test(n))
  ) {
    throw invalid('malformed');
  }
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase().startsWith('ce-') && !names.includes(name.toLowerCase())) {
      throw invalid('unsigned');
    }
  }
  const signed = names.map((name) => {
    const value = headers[name];
    if (typeof value !== 'string') throw invalid('mismatch');
    return [name, value] as const;
  });
  const expected = hmacHex(secret, timestamp, rawBody, signed);
  if (!anyMatches(expected, candidates)) throw invalid('mismatch');
  return { timestamp };
}

function signedHeaderNames(names: readonly string[]): string[] {
  const ce = names.filter((n) => n.startsWith('ce-')).sort();
  return ['content-type', ...ce];
}
