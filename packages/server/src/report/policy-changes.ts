import type { AuditEntry } from '@countersign/core';
import type { VersionSeen } from '../storage/report-repository.js';
import { iso } from './request-row.js';
import type { PolicyChangesSection, PolicyVersionSeen } from './soc2-report.js';

const WHY =
  'Each policy version that governed approvals is identified by its hash, with who loaded it and ' +
  'when, so changes to the access rules themselves are tracked and attributable (CC8.1).';

/** The version hash a `policy.loaded` entry records. */
const versionOf = (entry: AuditEntry): string =>
  typeof entry.data.version === 'string' ? entry.data.version : 'unknown';

/**
 * Policy versions in the period. From the audit log's `policy.loaded` entries when there is
 * an audit log (`entries` not null); otherwise only the versions that requests were decided
 * under, which shows which rules governed but not who changed them, and we say so.
 */
export function policyChanges(
  seen: readonly VersionSeen[],
  /** Every `policy.loaded` entry of the log (before the period too: to tell a change from a reload). */
  entries: readonly AuditEntry[] | null,
  window: { start: number; end: number },
): PolicyChangesSection {
  const versionsSeen: PolicyVersionSeen[] = [...seen]
    .sort((a, b) => a.first - b.first)
    .map((v) => ({
      version: v.version,
      first_seen: iso(v.first),
      last_seen: iso(v.last),
      requests: v.requests,
    }));
  const header = { title: 'Policy changes', criteria: ['CC8.1' as const], why: WHY };
  if (entries === null) {
    return {
      ...header,
      source: 'requests',
      note:
        'This store has no audit log, so who loaded each policy is not known here: the versions ' +
        'below are the policy hashes recorded on the requests of the period.',
      changes: [],
      versions_seen: versionsSeen,
    };
  }
  return {
    ...header,
    source: 'audit_log',
    note:
      'From the policy.loaded entries of the audit log in the period: "changed" marks a version ' +
      'that differs from the one loaded before it (otherwise a restart or a reload of the same ' +
      'policy). The versions that requests were decided under are listed too.',
    changes: entries
      .filter((e) => e.type === 'policy.loaded')
      .map((e, i, all) => ({
        at: e.at,
        version: versionOf(e),
        changed: i === 0 || versionOf(all[i - 1] ?? e) !== versionOf(e),
        trigger: typeof e.data.trigger === 'string' ? e.data.trigger : null,
        actor: `${e.actor.kind}:${e.actor.id}`,
        index: e.index,
      }))
      .filter((c) => {
        const t = Date.parse(c.at);
        return t >= window.start && t < window.end;
      }),
    versions_seen: versionsSeen,
  };
}
