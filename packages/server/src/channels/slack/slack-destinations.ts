import {
  clausePool,
  reviewGroups,
  reviewerStanding,
  type ApprovalRequirement,
} from '@countersign/core';
import type { Directory, User } from '../../config/directory.js';
import type { NotificationPayload } from '../../notify/notification-payload.js';
import type { SlackSettings } from './slack-settings.js';

export type RequestView = NotificationPayload['data']['action'];

/** One place a request's message goes: a channel, or one approver's DM. */
export type Destination = { key: string; channel: string } | { key: string; user: User };

/**
 * The record's approval requirement as the payload carries it. The view passes the stored
 * requirement through unchanged (http/action-view.ts), including `escalate`, `step_up` and
 * `notify`, which the API schema does not spell out.
 */
export function requirementOf(view: RequestView): ApprovalRequirement | null {
  return view.approval as ApprovalRequirement | null;
}

/** Whether any rule of the request asks for approval through the web UI only. */
export function needsStepUp(view: RequestView): boolean {
  return requirementOf(view)?.clauses.some((c) => c.step_up === 'web') ?? false;
}

/**
 * Where a request is posted, as of this event: the channels its rules name (`notify.slack`)
 * and those of its reviewing groups (`group_channels`, escalation groups included once they
 * escalated); if none, the default `channels`. Plus a DM to every eligible approver when
 * `dm_approvers` is on or a rule asks for it (`notify.slack.dm`). An escalation therefore
 * adds destinations, and the notifier posts there on `action.escalated`.
 */
export function destinationsOf(
  view: RequestView,
  settings: SlackSettings,
  directory: Directory,
): Destination[] {
  const approval = requirementOf(view);
  if (!approval) return [];
  const channels = new Set<string>();
  let dm = settings.dmApprovers;
  for (const clause of approval.clauses) {
    for (const c of clause.notify?.slack?.channels ?? []) channels.add(c);
    dm ||= clause.notify?.slack?.dm ?? false;
    const pool = clausePool(clause, view.escalated_rules.includes(clause.rule));
    for (const group of pool)
      for (const c of settings.groupChannels.get(group) ?? []) channels.add(c);
  }
  if (channels.size === 0) for (const c of settings.channels) channels.add(c);
  const out: Destination[] = [...channels].map((channel) => ({
    key: `channel:${channel}`,
    channel,
  }));
  if (dm) {
    for (const user of eligibleApprovers(view, approval, directory)) {
      out.push({ key: `dm:${user.id}`, user });
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
