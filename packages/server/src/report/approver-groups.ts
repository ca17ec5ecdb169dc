import type { CompiledPolicy } from '@countersign/core';
import type { Directory } from '../config/directory.js';
import { iso } from './request-row.js';
import type { ApproverGroupsSection } from './soc2-report.js';

/**
 * Who can approve what, from the directory and the policy as they are when the report is
 * made (the directory keeps no history; each vote row records the voter's groups at the time
 * of the vote, which the requests table shows).
 */
export function approverGroups(
  directory: Directory,
  policy: CompiledPolicy,
  now: number,
): ApproverGroupsSection {
  const approves = new Map<string, string[]>();
  const escalation = new Map<string, string[]>();
  const breakGlass = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, k: string, rule: string) => {
    const list = m.get(k) ?? [];
    if (!list.includes(rule)) list.push(rule);
    m.set(k, list);
  };
  for (const rule of policy.rules) {
    for (const g of rule.approval?.from ?? []) add(approves, g, rule.id);
    for (const g of rule.approval?.escalate?.to ?? []) add(escalation, g, rule.id);
    for (const u of rule.approval?.break_glass ?? []) add(breakGlass, u, rule.id);
  }
  const users = [...directory.users.values()];
  return {
    title: 'Approver group membership',
    criteria: ['CC6.2'],
    why:
      'Only people registered in the directory and placed in a group the policy names can approve, ' +
      'so this list is the population of authorised approvers an auditor can check against ' +
      'joiner/mover/leaver records (CC6.2).',
    as_of: iso(now),
    groups: [...directory.groups.values()]
      .map((g) => ({
        id: g.id,
        description: g.description ?? null,
        members: users
          .filter((u) => u.groups.includes(g.id))
          .map((u) => ({ id: u.id, name: u.name ?? null, email: u.email ?? null })),
        approves_for: approves.get(g.id) ?? [],
        escalation_for: escalation.get(g.id) ?? [],
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    break_glass_users: [...breakGlass.entries()]
      .map(([user, rules]) => ({ user, rules }))
      .sort((a, b) => a.user.localeCompare(b.user)),
    admins: users
      .filter((u) => u.admin)
      .map((u) => u.id)
      .sort(),
  };
}
