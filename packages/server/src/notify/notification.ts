import type { ActionRecord, Vote } from '@countersign/core';
import type { OutboxTx } from '../storage/outbox-repository.js';

/**
 * What channels and webhooks hear about. `requested`: a request now needs human approval.
 * `voted`: a vote was counted and the request is still pending. `escalated`: more groups may
 * now vote. `decided`: approved, denied, expired or cancelled. `reported`: the agent reported
 * the outcome of an approved action.
 */
export type NotificationEvent =
  'action.requested' | 'action.voted' | 'action.escalated' | 'action.decided' | 'action.reported';

export interface Notification {
  event: NotificationEvent;
  /** The request after the change. Never carries the grant token. */
  record: ActionRecord;
  votes: Vote[];
  at: number;
}

/**
 * The seam between a state change and the outside world: the action service calls `enqueue`
 * inside the transaction that makes the change, so a notification is written if and only if
 * the change is; delivery happens later, off the request path, from the durable outbox.
 */
export interface NotificationSink {
  enqueue(tx: OutboxTx, notification: Notification): Promise<void>;
  /**
   * Throws `invalid_request` when the gateway would never call this `callback_url` (its host
   * is not in `webhooks.callback.allowed_hosts`). For submit, before anything is stored: the
   * URL is agent-supplied, so this is the first line against SSRF (delivery checks again).
   */
  checkCallbackUrl(url: string): void;
  /**
   * False when `enqueue` would write nothing for this change (no channel is interested): the
   * caller can skip loading votes, so an unconfigured gateway does no notification work.
   */
  wants(event: NotificationEvent, record: ActionRecord): boolean;
}
