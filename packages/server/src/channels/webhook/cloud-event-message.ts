import { HTTP, type CloudEvent } from 'cloudevents';
import type { NotificationPayload } from '../../notify/notification-payload.js';
import { cloudEventOf } from './cloud-event-of.js';

/** The two CloudEvents HTTP content modes (HTTP protocol binding §3.1, §3.2). */
export type CloudEventsMode = 'structured' | 'binary';

/** What goes on the wire: lower-case header names, the exact body bytes (signed as is). */
export interface CloudEventMessage {
  headers: Record<string, string>;
  body: string;
}

/** The wire form of one notification as a CloudEvent from `source`, in `mode`. */
export function encodeCloudEvent(
  payload: NotificationPayload,
  source: string,
  mode: CloudEventsMode,
): CloudEventMessage {
  return cloudEventMessage(cloudEventOf(payload, source), mode);
}

/**
 * Serialises with the cloudevents SDK (`HTTP.structured`: one `application/cloudevents+json`
 * body, JSON format §3; `HTTP.binary`: `ce-*` headers and `data` as the body, §3.1), then
 * percent-encodes every `ce-*` header value as HTTP binding §3.1.3.2 requires, which SDK 10
 * does not do: it copies attribute strings into headers as they are, so an agent-chosen
 * value with CR/LF would either split the header (injection) or make every attempt throw.
 * Any other header the SDK sets (`content-type`) must already be printable ASCII.
 */
export function cloudEventMessage<T>(
  event: CloudEvent<T>,
  mode: CloudEventsMode,
): CloudEventMessage {
  const message = mode === 'binary' ? HTTP.binary(event) : HTTP.structured(event);
  if (typeof message.body !== 'string') {
    throw new Error('the cloudevents SDK did not serialise the event to text');
  }
  const headers: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    const text = String(value);
    if (name.startsWith('ce-')) headers[name] = percentEncodeHeaderValue(text);
    else if (/^[\x20-\x7e]*$/.test(text)) headers[name] = text;
    else throw new Error(`header ${name} is not printable ASCII`);
  }
  return { headers, body: message.body };
}

/**
 * HTTP binding §3.1.3.2: space, `"`, `%` and every character outside U+0021–U+007E become
 * the `%XX` bytes of their UTF-8 encoding (upper-case hex); a surrogate pair is one
 * character. The result is printable ASCII without CR or LF: it cannot end a header.
 *
 * @example
 * percentEncodeHeaderValue('Euro € 😀'); // 'Euro%20%E2%82%AC%20%F0%9F%98%80' (the spec's example)
 */
export function percentEncodeHeaderValue(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x21 && code <= 0x7e && char !== '"' && char !== '%') {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}
