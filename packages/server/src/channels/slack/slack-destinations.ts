import { clausePool } from '@countersign/core';
import type { Directory, User } from '../../config/directory.js';
import { eligibleApprovers, requirementOf, type RequestView } from '../../views/request-view.js';
import type { SlackSettings } from './slack-settings.js';

/** One place a request's message goes: a channel, or one approver's DM. */
export type Destination = { key: string; channel: string } | { key: string; user: User };

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
