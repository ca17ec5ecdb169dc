import { CloudEvent } from 'cloudevents';
import { cloudEventType } from './cloud-event-types.js';
import type { NotificationPayload } from '../../notify/notification-payload.js';

/** `data` of every Countersign CloudEvent: the native payload's `data`, unchanged. */
export type CloudEventData = NotificationPayload['data'];

/**
 * The event for one notification. Attributes (CloudEvents 1.0 "Context Attributes"):
 * - `id`: the notification's event id (`evt_…`), stored with the outbox row, so every retry
 *   carries the same `id` and a receiver may treat a repeated `source` + `id` as a duplicate
 *   ("REQUIRED Attributes: id"). The same occurrence sent to two endpoints has one `id`.
 * - `source`: `<public_url>/v1/actions`, the collection the request lives in; `subject`: the
 *   request id, so `source` + `/` + `subject` is the request's URL ("subject" example 1).
 * - `time`: when the change happened (not when it was sent), the same on every retry.
 * - `datacontenttype`: `application/json`; `data`: the native `data` ({ action, votes }).
 * - Extensions `actiontype` and `agentid`: for routing without reading `data`. Both are
 *   agent-influenced text: the binary mode percent-encodes them (cloud-event-message.ts).
 * No `dataschema`: no schema is published at a stable URI yet.
 */
export function cloudEventOf(
  payload: NotificationPayload,
  source: string,
): CloudEvent<CloudEventData> {
  const action = payload.data.action;
  return new CloudEvent<CloudEventData>({
    specversion: '1.0',
    id: payload.id,
    type: cloudEventType(payload.type, action.status),
    source,
    subject: action.id,
    time: payload.created_at,
    datacontenttype: 'application/json',
    actiontype: action.action,
    agentid: action.agent.id,
    data: payload.data,
  });
}
