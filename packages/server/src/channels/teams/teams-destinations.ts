import {
  clausePool,
  reviewGroups,
  reviewerStanding,
  type ApprovalRequirement,
} from '@countersign/core';
import type { Directory, User } from '../../config/directory.js';
import type { NotificationPayload } from '../../notify/notification-payload.js';
import type { TeamsSettings } from './teams-settings.js';

export type RequestView = NotificationPayload['data']['action'];

/** One place a request's card goes: a team channel, or one approver's personal chat. */
export type Destination =
  { key: string; channel: string } | { key: string; user: User; aadObjectId: string };

/**
 * The record's approval requirement as the payload carries it: the view passes the stored
 * requirement through unchanged (http/action-view.ts), `escalate` included, which the API
 * schema does not spell out.
 */
export function requirementOf(view: RequestView): ApprovalRequirement | null {
  return view.approval as ApprovalRequirement | null;
}

/**
 * Whether a rule of the request asks for approval in the web UI only (`step_up: web`, the
 * Slack issue's rule option): then no chat channel may approve in place, Teams included.
 */
export function needsStepUp(view: RequestView): boolean {
  return (
    requirementOf(view)?.clauses.some((c) => (c as { step_up?: unknown }).step_up === 'web') ??
    false
  );
}

/**
 * Where a request is posted, as of this event: the team channels of its reviewing groups
 * (`group_channels`, escalation groups included once they escalated), or else the default
 * `channels`; plus, with `dm_approvers`, a personal chat with every eligible approver who has
 * a `teams_aad_id` (Teams does not start a chat from an email or UPN). An escalation thus
 * adds destinations, and the notifier posts there on `action.escalated`.
 */
export function destinationsOf(
  view: RequestView,
  settings: TeamsSettings,
  directory: Directory,
): Destination[] {
  const approval = requirementOf(view);
  if (!approval) return [];
  const channels = new Set<string>();
  for (const clause of approval.clauses) {
    const pool = clausePool(clause, view.escalated_rules.includes(clause.rule));
    for (const group of pool) {
      for (const c of settings.groupChannels.get(group) ?? []) channels.add(c);
    }
  }
  if (channels.size === 0) for (const c of settings.channels) channels.add(c);
  const out: Destination[] = [...channels].map((channel) => ({
    key: `channel:${channel}`,
    channel,
  }));
  if (settings.dmApprovers) {
    for (const user of eligibleApprovers(view, approval, directory)) {
      if (user.teams_aad_id === undefined) continue;
      out.push({ key: `dm:${user.id}`, user, aadObjectId: user.teams_aad_id });
    }
  }
  return out;
}

/** Directory users who may vote on the request now (never its requesting side). */
function eligibleApprovers(
  view: RequestView,
  approval: ApprovalRequirement,
  directory: Directory,
): User[] {
  const groups = reviewGroups(approval, view.escalated_rules);
  const parties = {
    agent_id: view.agent.id,
    agent_owners: directory.agent(view.agent.id)?.owners ?? [],
    on_behalf_of: view.on_behalf_of,
  };
  return [...directory.users.values()].filter(
    (u) => reviewerStanding(u, parties, groups) === 'eligible',
  );
}
