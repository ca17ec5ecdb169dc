import type { Directory } from './directory.js';

/**
 * What the directory grants, as the audit log records it: who exists, who is in which group,
 * who is an administrator or auditor, which agents exist and who owns them. Names, e-mail
 * addresses and chat ids are left out: they change no one's access, and the log keeps them
 * forever. Lists are sorted and keys are ids, so equal directories give equal snapshots.
 */
export interface DirectorySnapshot {
  users: Record<string, { groups: string[]; admin: boolean; auditor: boolean }>;
  groups: string[];
  agents: Record<string, { owners: string[] }>;
}

/** One change between two snapshots: one audit entry (audit-events.ts `directoryChanged`). */
export type DirectoryChange =
  | { type: 'directory.user_added' | 'directory.user_removed'; user: string }
  | { type: 'directory.group_added' | 'directory.group_removed'; group: string }
  | {
      type: 'directory.group_member_added' | 'directory.group_member_removed';
      group: string;
      user: string;
    }
  | { type: 'directory.agent_added' | 'directory.agent_removed'; agent: string }
  | {
      type: 'directory.agent_owner_added' | 'directory.agent_owner_removed';
      agent: string;
      user: string;
    }
  | {
      type:
        | 'directory.admin_granted'
        | 'directory.admin_revoked'
        | 'directory.auditor_granted'
        | 'directory.auditor_revoked';
      user: string;
    };

export type DirectoryChangeType = DirectoryChange['type'];

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

export function snapshotOf(directory: Directory): DirectorySnapshot {
  const users: DirectorySnapshot['users'] = {};
  for (const id of sorted(directory.users.keys())) {
    const u = directory.users.get(id)!;
    users[id] = { groups: sorted(u.groups), admin: u.admin, auditor: u.auditor };
  }
  const agents: DirectorySnapshot['agents'] = {};
  for (const id of sorted(directory.agents.keys())) {
    agents[id] = { owners: sorted(directory.agents.get(id)!.owners) };
  }
  return { users, groups: sorted(directory.groups.keys()), agents };
}

export function emptySnapshot(): DirectorySnapshot {
  return { users: {}, groups: [], agents: {} };
}

/**
 * The changes that turn `before` into `after`, one fact each, in an order that replays
 * cleanly: groups and users appear before memberships that name them, memberships and roles
 * go before the user or group they belong to. A user added with groups is `user_added` then
 * one `group_member_added` per group, so a reader replays one kind of fact per entry.
 */
export function diffDirectory(
  before: DirectorySnapshot,
  after: DirectorySnapshot,
): DirectoryChange[] {
  const out: DirectoryChange[] = [];
  const gone = <T>(a: Record<string, T>, b: Record<string, T>) =>
    Object.keys(a).filter((k) => !(k in b));
  const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));
  const noUser = { groups: [] as string[], admin: false, auditor: false };

  for (const group of minus(after.groups, before.groups))
    out.push({ type: 'directory.group_added', group });
  for (const user of gone(after.users, before.users))
    out.push({ type: 'directory.user_added', user });
  for (const agent of gone(after.agents, before.agents))
    out.push({ type: 'directory.agent_added', agent });

  const userIds = sorted([...Object.keys(before.users), ...Object.keys(after.users)]);
  for (const user of userIds) {
    const was = before.users[user] ?? noUser;
    const is = after.users[user] ?? noUser;
    for (const group of minus(was.groups, is.groups))
      out.push({ type: 'directory.group_member_removed', group, user });
    for (const group of minus(is.groups, was.groups))
      out.push({ type: 'directory.group_member_added', group, user });
    if (was.admin !== is.admin)
      out.push({ type: is.admin ? 'directory.admin_granted' : 'directory.admin_revoked', user });
    if (was.auditor !== is.auditor) {
      out.push({
        type: is.auditor ? 'directory.auditor_granted' : 'directory.auditor_revoked',
        user,
      });
    }
  }
  const agentIds = sorted([...Object.keys(before.agents), ...Object.keys(after.agents)]);
  for (const agent of agentIds) {
    const was = before.agents[agent]?.owners ?? [];
    const is = after.agents[agent]?.owners ?? [];
    for (const user of minus(was, is))
      out.push({ type: 'directory.agent_owner_removed', agent, user });
    for (const user of minus(is, was))
      out.push({ type: 'directory.agent_owner_added', agent, user });
  }

  for (const agent of gone(before.agents, after.agents))
    out.push({ type: 'directory.agent_removed', agent });
  for (const user of gone(before.users, after.users))
    out.push({ type: 'directory.user_removed', user });
  for (const group of minus(before.groups, after.groups))
    out.push({ type: 'directory.group_removed', group });
  return out;
}

/**
 * Replays one recorded change onto a snapshot (in place): how the report rebuilds the
 * directory as it was at any moment from the baseline and the changes after it.
 */
export function applyDirectoryChange(state: DirectorySnapshot, c: DirectoryChange): void {
  const user = (id: string) => (state.users[id] ??= { groups: [], admin: false, auditor: false });
  const drop = (xs: string[], x: string) => xs.filter((y) => y !== x);
  switch (c.type) {
    case 'directory.group_added':
      state.groups = sorted([...state.groups, c.group]);
      break;
    case 'directory.group_removed':
      state.groups = drop(state.groups, c.group);
      break;
    case 'directory.user_added':
      user(c.user);
      break;
    case 'directory.user_removed':
      delete state.users[c.user];
      break;
    case 'directory.group_member_added':
      user(c.user).groups = sorted([...user(c.user).groups, c.group]);
      break;
    case 'directory.group_member_removed':
      user(c.user).groups = drop(user(c.user).groups, c.group);
      break;
    case 'directory.admin_granted':
    case 'directory.admin_revoked':
      user(c.user).admin = c.type === 'directory.admin_granted';
      break;
    case 'directory.auditor_granted':
    case 'directory.auditor_revoked':
      user(c.user).auditor = c.type === 'directory.auditor_granted';
      break;
    case 'directory.agent_added':
      state.agents[c.agent] ??= { owners: [] };
      break;
    case 'directory.agent_removed':
      delete state.agents[c.agent];
      break;
    case 'directory.agent_owner_added': {
      const a = (state.agents[c.agent] ??= { owners: [] });
      a.owners = sorted([...a.owners, c.user]);
      break;
    }
    case 'directory.agent_owner_removed': {
      const a = (state.agents[c.agent] ??= { owners: [] });
      a.owners = drop(a.owners, c.user);
      break;
    }
  }
}
