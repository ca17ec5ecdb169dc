/**
 * Policy replay: what a candidate policy would have decided for the requests a log recorded,
 * and how that differs from what happened. Pure: the caller streams the requests in
 * (recorded-requests.ts), so the CLI, a web page or a shadow policy can share it.
 * @module
 */
import type { CompiledPolicy } from './compiled-policy.js';
import type { ApprovalRequirement, PolicyDecision } from './types.js';
import type { RecordedRequest } from './recorded-requests.js';

/** Every kind of change a replay reports, in the order it prints them. */
export const CHANGE_KINDS = [
  'allowed-that-was-denied',
  'allowed-that-needed-approval',
  'needs-approval-that-was-denied',
  'approval-loosened',
  'denied-that-was-approved',
  'denied-that-was-allowed',
  'denied-that-needed-approval',
  'needs-approval-that-was-allowed',
  'approval-tightened',
  'approvers-changed',
  'rules-changed',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Changes that need fewer humans (or none) than the recorded decision did. */
export const LOOSENED: readonly ChangeKind[] = [
  'allowed-that-was-denied',
  'allowed-that-needed-approval',
  'needs-approval-that-was-denied',
  'approval-loosened',
];
/** Changes that need more humans, or refuse what went through. */
export const TIGHTENED: readonly ChangeKind[] = [
  'denied-that-was-approved',
  'denied-that-was-allowed',
  'denied-that-needed-approval',
  'needs-approval-that-was-allowed',
  'approval-tightened',
];

/** One changed request, as a reader needs it to judge the change. */
export interface ReplayExample {
  id: string;
  at: string;
  agent: string;
  action: string;
  resource: string;
  environment: string;
  was: { decision: string; rules: string[]; outcome: RecordedRequest['outcome']; humans: number };
  now: { decision: string; rules: string[]; reason: string; humans: number };
}

export interface ReplayReport {
  /** Requests replayed (within the time window). */
  requests: number;
  unchanged: number;
  /** Requests with redacted fields: the candidate saw the HMAC, not the value. */
  redacted: number;
  /**
   * Requests replayed with today's agent owners (`options.owners`): the log held no directory
   * history before them. The others use the owners recorded for their time.
   */
  owners_from_today: number;
  /** Earliest and latest submission replayed. */
  first_at: string | null;
  last_at: string | null;
  changes: Record<ChangeKind, { count: number; examples: ReplayExample[] }>;
}

export interface ReplayOptions {
  /**
   * The agent's owners as the directory has them now: used only for a request whose owners
   * at the time the log cannot tell (`RecordedRequest.owners` null).
   */
  owners?: ((agentId: string) => readonly string[]) | undefined;
  /** Examples kept per kind (default 3). */
  examples?: number | undefined;
}

/**
 * Replays every request through `candidate` (compiled once, by `loadPolicy`) and counts the
 * changes by kind, keeping the first few of each as examples. Memory is the report only.
 */
export async function replayPolicy(
  candidate: CompiledPolicy,
  requests: AsyncIterable<readonly RecordedRequest[]> | Iterable<readonly RecordedRequest[]>,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const keep = options.examples ?? 3;
  const noOwners: readonly string[] = [];
  const report: ReplayReport = {
    requests: 0,
    unchanged: 0,
    redacted: 0,
    owners_from_today: 0,
    first_at: null,
    last_at: null,
    changes: Object.fromEntries(
      CHANGE_KINDS.map((k) => [k, { count: 0, examples: [] as ReplayExample[] }]),
    ) as ReplayReport['changes'],
  };
  for await (const batch of requests) {
    for (const r of batch) {
      report.requests++;
      if (r.redacted) report.redacted++;
      if (report.first_at === null || r.at < report.first_at) report.first_at = r.at;
      if (report.last_at === null || r.at > report.last_at) report.last_at = r.at;
      let owners: readonly string[] | null = r.owners;
      if (owners === null) {
        report.owners_from_today++;
        owners = options.owners?.(r.input.agent.id) ?? noOwners;
      }
      const d = candidate.evaluate({ ...r.input, agent: { id: r.input.agent.id, owners } });
      const kind = classifyChange(r, d);
      if (kind === undefined) {
        report.unchanged++;
        continue;
      }
      const c = report.changes[kind];
      c.count++;
      if (c.examples.length < keep) c.examples.push(example(r, d));
    }
  }
  return report;
}

/**
 * What `classifyChange` compares against: the decision made (its rules and approval) and, once
 * known, how humans answered. A shadow policy passes the live decision of a request just
 * submitted (`outcome` of the live decision, no denials yet), so replay and shadow name the
 * same differences the same way.
 */
export interface ChangeBaseline {
  recorded: Pick<RecordedRequest['recorded'], 'decision' | 'rules' | 'approval'>;
  outcome: RecordedRequest['outcome'];
  denials: number;
}

/** The kind of change from what was recorded to `now`, or undefined if nothing changed. */
export function classifyChange(r: ChangeBaseline, now: PolicyDecision): ChangeKind | undefined {
  const was = r.recorded.decision;
  const deniedByHumans = r.outcome === 'denied' || r.denials > 0;
  if (now.decision === 'allow') {
    if (was === 'deny' || (was === 'require_approval' && deniedByHumans)) {
      return 'allowed-that-was-denied';
    }
    if (was === 'require_approval') return 'allowed-that-needed-approval';
  } else if (now.decision === 'deny') {
    if (was === 'allow') return 'denied-that-was-allowed';
    if (was === 'require_approval') {
      return r.outcome === 'approved' ? 'denied-that-was-approved' : 'denied-that-needed-approval';
    }
  } else {
    if (was === 'allow') return 'needs-approval-that-was-allowed';
    if (was === 'deny') return 'needs-approval-that-was-denied';
    const before = humans(r.recorded.approval);
    const after = humans(now.approval ?? null);
    if (after < before) return 'approval-loosened';
    if (after > before) return 'approval-tightened';
    if (signature(r.recorded.approval) !== signature(now.approval ?? null)) {
      return 'approvers-changed';
    }
  }
  return sameList(r.recorded.rules, now.rules) ? undefined : 'rules-changed';
}

/**
 * How many people a requirement asks for: the largest clause quorum. Clauses are met together
 * and one person may count towards several, so the largest quorum is the least it can take.
 */
export function humans(a: ApprovalRequirement | null): number {
  if (a === null) return 0;
  let n = 0;
  for (const c of a.clauses) n = Math.max(n, c.quorum);
  return n;
}

/** Who may approve and how many: rules, pools, group minimums, quorums. */
function signature(a: ApprovalRequirement | null): string {
  if (a === null) return '';
  return a.clauses
    .map((c) => {
      const groups = c.groups.map((g) => `${g.group}>=${g.min}`).sort();
      return JSON.stringify([c.quorum, [...c.from].sort(), groups]);
    })
    .sort()
    .join(';');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function example(r: RecordedRequest, d: PolicyDecision): ReplayExample {
  return {
    id: r.id,
    at: r.at,
    agent: r.input.agent.id,
    action: r.input.action,
    resource: r.input.resource,
    environment: r.input.environment,
    was: {
      decision: r.recorded.decision,
      rules: r.recorded.rules,
      outcome: r.outcome,
      humans: humans(r.recorded.approval),
    },
    now: {
      decision: d.decision,
      rules: d.rules,
      reason: d.reason,
      humans: humans(d.approval ?? null),
    },
  };
}

/**
 * Parses a `--fail-on` list: kinds, `loosened`, `tightened` or `any`, comma-separated.
 * Throws with the unknown name so the caller can exit 2.
 */
export function parseFailOn(list: string): Set<ChangeKind> {
  const out = new Set<ChangeKind>();
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'any') CHANGE_KINDS.forEach((k) => out.add(k));
    else if (name === 'loosened') LOOSENED.forEach((k) => out.add(k));
    else if (name === 'tightened') TIGHTENED.forEach((k) => out.add(k));
    else if ((CHANGE_KINDS as readonly string[]).includes(name)) out.add(name as ChangeKind);
    else {
      throw new Error(
        `unknown change kind "${name}" (expected any, loosened, tightened or one of ${CHANGE_KINDS.join(', ')})`,
      );
    }
  }
  return out;
}
