import { reviewGroups, reviewerStanding, type ApprovalRequirement } from '@countersign/core';
import type { Directory, User } from '../config/directory.js';
import type { NotificationPayload } from './notification-payload.js';
import { partiesOf } from '../actions/parties.js';

/** A request as chat channels receive it in a notification payload (the API view). */
export type RequestView = NotificationPayload['data']['action'];

/**
 * The record's approval requirement as the payload carries it. The view passes the stored
 * requirement through unchanged (http/action-view.ts), including `escalate`, `step_up` and
 * `notify`, which the API schema does not spell out.
 */
export function requirementOf(view: RequestView): ApprovalRequirement | null {
  return view.approval as ApprovalRequirement | null;
}

/** Whether any rule of the request asks for approval through the web UI only (`step_up: web`). */
export function needsStepUp(view: RequestView): boolean {
  return requirementOf(view)?.clauses.some((c) => c.step_up === 'web') ?? false;
}

/** Directory users who may vote on the request now (never its requesting side). */
export function eligibleApprovers(
  view: RequestView,
  approval: ApprovalRequirement,
  directory: Directory,
): User[] {
  const groups = reviewGroups(approval, view.escalated_rules);
  const parties = partiesOf(directory, {
    agent_id: view.agent.id,
    on_behalf_of: view.on_behalf_of,
  });
  return [...directory.users.values()].filter(
    (u) => reviewerStanding(u, parties, groups) === 'eligible',
  );
}
