import type { NotificationEvent } from '../../notify/notification.js';

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
