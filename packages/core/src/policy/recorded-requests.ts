/**
 * The requests an audit log recorded, rebuilt from its entries as a stream: what was submitted
 * (exactly the fields the live policy saw), what the policy decided, who voted and how the
 * request ended. Used by policy replay and suggestions (replay.ts, suggest.ts).
 * @module
 */
import type { Decision } from '../model/status.js';
import type { JsonObject } from '../model/json.js';
import type { Risk } from '../model/action-request.js';
import type { EntryText as Line } from '../audit/scan-entries.js';
import type { ApprovalRequirement, PolicyInput } from './types.js';

/** One request from the log, settled (or still pending when the log ended). */
export interface RecordedRequest {
  id: string;
  /** When it was submitted (RFC 3339). */
  at: string;
  /** The policy input as recorded, less the agent's owners (see `owners`). */
  input: Omit<PolicyInput, 'agent'> & { agent: { id: string } };
  /**
   * The agent's owners when the request was submitted: from its `action.submitted` entry if
   * that carries them (`data.agent_owners`), else from the `directory.*` entries before it
   * (the baseline and the changes after it, in log order). Null when the log holds no
   * directory history before the request: a replay then uses today's directory, and says so.
   */
  owners: string[] | null;
  /** Some submitted value was redacted (`{"$hmac": …}`): a replay sees the HMAC, not the value. */
  redacted: boolean;
  recorded: {
    decision: Decision;
    rules: string[];
    approval: ApprovalRequirement | null;
    policy_version: string;
  };
  /** How it ended: the policy's allow/deny, or the humans' verdict; `pending` at the log's end. */
  outcome:
    'allowed' | 'denied_by_policy' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'pending';
  /** Distinct users whose approve votes were counted. */
  approvers: string[];
  /** Deny votes counted. */
  denials: number;
  /** Approved by a break-glass vote. */
  break_glass: boolean;
  /** When it settled (RFC 3339), or the submission time if it never did. */
  settled_at: string;
}

export interface RecordedRequestsOptions {
  /** Only requests submitted at or after this time (ms since the epoch). */
  from?: number | undefined;
  /** Only requests submitted before this time (ms since the epoch). */
  to?: number | undefined;
}

interface Entry {
  at: string;
  /** Set on kept submissions: some value in the entry was redacted. */
  hmac?: boolean;
  type: string;
  actor?: { kind?: string; id?: string };
  request_id?: string;
  data?: Record<string, unknown>;
}

const FINAL = new Set(['action.approved', 'action.denied', 'action.expired', 'action.cancelled']);

/**
 * Streams the recorded requests of a log given as lines (or batches of lines) of canonical
 * entry JSON, in log order. A request is yielded once it settles: at the policy's decision for
 * allow and deny, at its final entry for one that needed approval. Only requests still open
 * are held in memory, so a log of millions of entries is read in constant space. Lines that
 * are not entries, and entries of other types, are skipped: this reads, it does not verify
 * (`countersign audit verify` does).
 */
export async function* recordedRequests(
  lines: AsyncIterable<Line | readonly Line[]> | Iterable<Line | readonly Line[]>,
  options: RecordedRequestsOptions = {},
): AsyncGenerator<RecordedRequest[]> {
  const submitted = new Map<string, Entry>();
  const ownersAt = new Map<string, string[] | null>();
  const open = new Map<string, RecordedRequest>();
  // Agent → owners as the log's directory entries have them so far; null before a baseline.
  let agents: Map<string, string[]> | null = null;
  for await (const item of lines) {
    const batch: RecordedRequest[] = [];
    const list = Array.isArray(item) ? (item as readonly Line[]) : [item as Line];
    for (const line of list) {
      const parsed = parse(line);
      if (parsed === undefined) continue;
      const e = parsed.e;
      if (e.type.startsWith('directory.')) {
        agents = applyDirectoryEntry(agents, e);
        continue;
      }
      const id = e.request_id;
      if (id === undefined) continue;
      if (e.type === 'action.submitted') {
        const t = Date.parse(e.at);
        if (options.from !== undefined && !(t >= options.from)) continue;
        if (options.to !== undefined && !(t < options.to)) continue;
        submitted.set(id, { ...e, hmac: parsed.hmac });
        const agent = e.actor?.id ?? 'anonymous';
        const carried = strings(e.data?.agent_owners);
        ownersAt.set(id, carried ?? (agents === null ? null : [...(agents.get(agent) ?? [])]));
      } else if (e.type === 'action.decided_by_policy') {
        const s = submitted.get(id);
        if (s === undefined) continue;
        submitted.delete(id);
        const owners = ownersAt.get(id) ?? null;
        ownersAt.delete(id);
        const r = build(id, s, e, owners);
        if (r === undefined) continue;
        if (r.recorded.decision === 'require_approval') open.set(id, r);
        else batch.push(r);
      } else if (e.type === 'action.vote_counted') {
        const r = open.get(id);
        if (r === undefined || e.actor?.kind !== 'user' || typeof e.actor.id !== 'string') continue;
        if (e.data?.vote === 'approve') {
          if (!r.approvers.includes(e.actor.id)) r.approvers.push(e.actor.id);
          if (e.data.break_glass === true) r.break_glass = true;
        } else if (e.data?.vote === 'deny') r.denials++;
      } else if (FINAL.has(e.type)) {
        const r = open.get(id);
        if (r === undefined) continue;
        open.delete(id);
        r.outcome = e.type.slice('action.'.length) as RecordedRequest['outcome'];
        r.settled_at = e.at;
        batch.push(r);
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (open.size > 0) yield [...open.values()];
}

/** The entry, and whether its text holds a redacted value (`{"$hmac": …}`, audit-entry.ts). */
function parse(line: Line): { e: Entry; hmac: boolean } | undefined {
  // A view of the bytes, not a copy: the batch is used before the next one is read.
  const text =
    typeof line === 'string'
      ? line
      : Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
  // Every entry this reads is an `action.*` or `directory.*` one; skip the others unparsed.
  if (!text.includes('"type":"action.') && !text.includes('"type":"directory.')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const e = v as Entry;
    if (typeof e.type !== 'string' || typeof e.at !== 'string') return undefined;
    return { e, hmac: text.includes('"$hmac"') };
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): JsonObject | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

/**
 * One `directory.*` entry applied to the agents' owners (server config/directory-snapshot.ts
 * writes them: a baseline at the first start, then one entry per change at later starts).
 * Changes before a baseline are ignored, as the SOC 2 report's directory history does: there
 * is nothing to apply them to. Entries about users and groups do not touch owners.
 */
function applyDirectoryEntry(
  agents: Map<string, string[]> | null,
  e: Entry,
): Map<string, string[]> | null {
  const d = e.data ?? {};
  if (e.type === 'directory.baseline') {
    if (agents !== null) return agents; // one baseline per log; keep the first
    const recorded = obj(obj(d.directory)?.agents) ?? {};
    return new Map(Object.entries(recorded).map(([id, a]) => [id, strings(obj(a)?.owners) ?? []]));
  }
  if (agents === null) return null;
  const agent = str(d.agent);
  if (agent === undefined) return agents;
  const user = str(d.user);
  const owners = agents.get(agent) ?? [];
  if (e.type === 'directory.agent_added') agents.set(agent, owners);
  else if (e.type === 'directory.agent_removed') agents.delete(agent);
  else if (e.type === 'directory.agent_owner_added' && user !== undefined) {
    agents.set(agent, [...new Set([...owners, user])].sort());
  } else if (e.type === 'directory.agent_owner_removed' && user !== undefined) {
    agents.set(
      agent,
      owners.filter((o) => o !== user),
    );
  }
  return agents;
}

function build(
  id: string,
  s: Entry,
  d: Entry,
  owners: string[] | null,
): RecordedRequest | undefined {
  const sd = s.data ?? {};
  const dd = d.data ?? {};
  const action = str(sd.action);
  const resource = str(sd.resource);
  const environment = str(sd.environment);
  const decision = str(dd.decision) as Decision | undefined;
  if (action === undefined || resource === undefined || environment === undefined) return;
  if (decision !== 'allow' && decision !== 'deny' && decision !== 'require_approval') return;
  const params = obj(sd.params) ?? {};
  const context = obj(sd.context);
  const input: RecordedRequest['input'] = {
    action,
    resource,
    environment,
    params,
    risk: (str(sd.risk) as Risk | undefined) ?? undefined,
    justification: str(sd.justification),
    on_behalf_of: str(sd.on_behalf_of),
    context,
    agent: { id: s.actor?.id ?? 'anonymous' },
  };
  return {
    id,
    at: s.at,
    input,
    owners,
    redacted: s.hmac === true,
    recorded: {
      decision,
      rules: Array.isArray(dd.rules)
        ? dd.rules.filter((r): r is string => typeof r === 'string')
        : [],
      approval: (obj(dd.approval) as ApprovalRequirement | undefined) ?? null,
      policy_version: str(dd.policy_version) ?? '',
    },
    outcome:
      decision === 'allow' ? 'allowed' : decision === 'deny' ? 'denied_by_policy' : 'pending',
    approvers: [],
    denials: 0,
    break_glass: false,
    settled_at: d.at,
  };
}
