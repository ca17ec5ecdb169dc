import type { AuditEntry, EntryText } from '@countersign/core';
import type { Soc2Report } from './soc2-report.js';

/** One figure of the report recounted from the log's entries. */
export interface FigureCheck {
  figure: string;
  report: number;
  log: number;
}

export interface FiguresResult {
  /** Every figure compared; `mismatches` are those that differ. */
  checked: FigureCheck[];
  mismatches: FigureCheck[];
  /** Entries of the period the log holds beyond the report's checkpoint: the report could not
   * have counted them from a store that had them, nor not; a difference is then inconclusive. */
  afterCheckpoint: number;
}

/**
 * Recounts what the report counts, from the audit log's entries alone (an export an auditor
 * verified), up to the checkpoint the report is signed over. Cheap figures only, each one a
 * count of one entry type in the period: requests submitted, refused self-approvals and
 * not-eligible votes, approvals and denials per approver on the period's requests, the
 * requests standing approvals approved, and the directory changes the report lists.
 */
export async function recountFigures(
  report: Soc2Report,
  entries: AsyncIterable<EntryText | readonly EntryText[]>,
  checkpointSize: number,
): Promise<FiguresResult> {
  const start = Date.parse(report.period.start);
  const end = Date.parse(report.period.end);
  const changesFrom = Date.parse(report.approver_groups.as_of);
  const inPeriod = (at: number) => at >= start && at < end;
  let submitted = 0;
  let selfApproval = 0;
  let notEligible = 0;
  let changes = 0;
  let afterCheckpoint = 0;
  const requests = new Set<string>();
  const votes: Array<{ request: string; user: string; vote: string }> = [];
  const standingUses: string[] = [];
  for await (const chunk of entries) {
    const lines = Array.isArray(chunk) ? (chunk as readonly EntryText[]) : [chunk as EntryText];
    for (const line of lines) {
      const text = typeof line === 'string' ? line : Buffer.from(line).toString('utf8');
      const e = JSON.parse(text) as AuditEntry;
      const at = Date.parse(e.at);
      if (e.index >= checkpointSize) {
        if (inPeriod(at)) afterCheckpoint++;
        continue;
      }
      if (e.type === 'action.submitted' && inPeriod(at) && e.request_id) {
        submitted++;
        requests.add(e.request_id);
      } else if (e.type === 'action.vote_refused' && inPeriod(at)) {
        if (e.data.code === 'self_approval_forbidden') selfApproval++;
        else if (e.data.code === 'not_eligible') notEligible++;
      } else if (e.type === 'standing_approval.used' && e.request_id) {
        standingUses.push(e.request_id);
      } else if (e.type === 'action.vote_counted' && e.request_id) {
        votes.push({ request: e.request_id, user: e.actor.id, vote: String(e.data.vote) });
      } else if (
        e.type.startsWith('directory.') &&
        e.type !== 'directory.baseline' &&
        at >= changesFrom &&
        at < end
      ) {
        changes++;
      }
    }
  }
  const checked: FigureCheck[] = [
    { figure: 'requests in the period', report: report.privileged_actions.total, log: submitted },
    {
      figure: 'refused self-approvals',
      report: report.approvals.refused.self_approval_forbidden,
      log: selfApproval,
    },
    {
      figure: 'refused not-eligible votes',
      report: report.approvals.refused.not_eligible,
      log: notEligible,
    },
  ];
  const byUser = new Map<string, { approvals: number; denials: number }>();
  for (const v of votes) {
    if (!requests.has(v.request)) continue;
    const u = byUser.get(v.user) ?? { approvals: 0, denials: 0 };
    if (v.vote === 'approve') u.approvals++;
    else u.denials++;
    byUser.set(v.user, u);
  }
  const users = new Set([...byUser.keys(), ...report.approvals.by_approver.map((a) => a.user)]);
  for (const user of [...users].sort()) {
    const r = report.approvals.by_approver.find((a) => a.user === user);
    const l = byUser.get(user);
    checked.push(
      { figure: `approvals by ${user}`, report: r?.approvals ?? 0, log: l?.approvals ?? 0 },
      { figure: `denials by ${user}`, report: r?.denials ?? 0, log: l?.denials ?? 0 },
    );
  }
  // Reports made before standing approvals existed have no such section.
  if (report.standing_approvals !== undefined) {
    checked.push({
      figure: 'requests approved by standing approvals',
      report: report.standing_approvals.requests_approved,
      log: standingUses.filter((id) => requests.has(id)).length,
    });
  }
  if (report.approver_groups.source === 'audit_log') {
    checked.push({
      figure: 'directory changes in the period',
      report: report.approver_groups.changes.length,
      log: changes,
    });
  }
  return { checked, mismatches: checked.filter((c) => c.report !== c.log), afterCheckpoint };
}
