import { clausePool } from '@countersign/core';
import type { Directory, User } from '../../config/directory.js';
import { eligibleApprovers, requirementOf, type RequestView } from '../../views/request-view.js';
import type { TeamsSettings } from './teams-settings.js';

/** One place a request's card goes: a team channel, or one approver's personal chat. */
export type Destination =
  { key: string; channel: string } | { key: string; user: User; aadObjectId: string };

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
