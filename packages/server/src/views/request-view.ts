import { reviewGroups, reviewerStanding, type ApprovalRequirement } from '@countersign/core';
import type { Directory, User } from '../config/directory.js';
import type { ActionView } from '../http/schemas.js';
import { partiesOf } from '../actions/parties.js';

/**
 * A request as channels and webhooks receive it in a notification payload: the API view
 * without the grant, which only the requesting agent ever sees.
 */
export type RequestView = Omit<ActionView, 'grant'>;

/**
 * The record's approval requirement as the payload carries it. The view passes the stored
 * requirement through unchanged (views/action-view.ts), including `escalate`, `step_up` and
 * `notify`, which the API schema does not spell out.
 */
export function requirementOf(view: RequestView): ApprovalRequirement | null {
  return view.approval as ApprovalRequirement | null;
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
