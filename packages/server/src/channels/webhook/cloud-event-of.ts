import { CloudEvent } from 'cloudevents';
import type { NotificationEvent } from '../../notify/notification.js';
import type { NotificationPayload } from '../../notify/notification-payload.js';

/**
 * Every `type` a Countersign CloudEvent carries (docs/cloudevents.md "Event types"):
 * reverse-DNS prefixed, as CloudEvents 1.0 "REQUIRED Attributes: type" recommends, and
 * named after what happened to the request, so a receiver can route on `type` alone
 * ("approved" vs "denied") without reading `data`.
 */
export const CLOUDEVENT_TYPES = [
  'dev.countersign.request.requested',
  'dev.countersign.request.voted',
  'dev.countersign.request.escalated',
  'dev.countersign.request.approved',
  'dev.countersign.request.denied',
  'dev.countersign.request.expired',
  'dev.countersign.request.cancelled',
  'dev.countersign.request.completed',
  'dev.countersign.request.failed',
] as const;
export type CloudEventType = (typeof CLOUDEVENT_TYPES)[number];

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

/** The `type` of a notification: what the request became (decided, reported) or what happened. */
export function cloudEventType(event: NotificationEvent, status: string): CloudEventType {
  switch (event) {
    case 'action.requested':
      return 'dev.countersign.request.requested';
    case 'action.voted':
      return 'dev.countersign.request.voted';
    case 'action.escalated':
      return 'dev.countersign.request.escalated';
    case 'action.decided':
    case 'action.reported': {
      // Decided: approved, denied, expired or cancelled; reported: completed or failed.
      const type = CLOUDEVENT_TYPES.find((t) => t === `dev.countersign.request.${status}`);
      // Anything else (`pending` after a decision) would be a gateway bug: fail, say why.
      if (type === undefined) {
        throw new Error(`no CloudEvents type for ${event} with status ${status}`);
      }
      return type;
    }
  }
}
