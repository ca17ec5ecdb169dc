import type { Vote } from '@countersign/core';
import { actionView } from '../views/action-view.js';
import type { ActionView } from '../http/schemas.js';
import type { Notification, NotificationEvent } from './notification.js';

/** A vote as receivers see it: times in RFC 3339. */
export type PayloadVote = Omit<Vote, 'at' | 'action_id'> & { at: string };

/**
 * The JSON body of every outbound notification. `id` identifies the event (the same for every
 * target it fans out to); the `Countersign-Delivery` header identifies one target's delivery.
 */
export interface NotificationPayload {
  id: string;
  type: NotificationEvent;
  created_at: string;
  data: {
    /** The request as `GET /v1/actions/:id` shows it (counted votes, progress), minus the grant. */
    action: Omit<ActionView, 'grant'>;
    /** Every vote, counted or refused (with the refusal `code`): what a channel shows. */
    votes: PayloadVote[];
  };
}

/**
 * Builds the payload. The grant token is a bearer capability meant for the requesting agent
 * only: anyone holding it could redeem the approved action. Webhook receivers, chat channels
 * and logs must never see it, so it is dropped from the record before the view is built and
 * removed from the view again should the view ever learn to show it.
 */
export function buildPayload(notification: Notification, eventId: string): NotificationPayload {
  const view: Omit<ActionView, 'grant'> & { grant?: unknown } = actionView(
    { ...notification.record, grant: null },
    { votes: notification.votes, withGrant: false },
  );
  delete view.grant;
  return {
    id: eventId,
    type: notification.event,
    created_at: new Date(notification.at).toISOString(),
    data: {
      action: view,
      votes: notification.votes.map(({ at, action_id: _actionId, ...vote }) => ({
        ...vote,
        at: new Date(at).toISOString(),
      })),
    },
  };
}
