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
  /** The policy input as recorded, less the agent's owners (the log does not hold them). */
  input: Omit<PolicyInput, 'agent'> & { agent: { id: string } };
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
  const open = new Map<string, RecordedRequest>();
  for await (const item of lines) {
    const batch: RecordedRequest[] = [];
    const list = Array.isArray(item) ? (item as readonly Line[]) : [item as Line];
    for (const line of list) {
      const parsed = parse(line);
      if (parsed === undefined) continue;
      const e = parsed.e;
      const id = e.request_id;
      if (id === undefined) continue;
      if (e.type === 'action.submitted') {
        const t = Date.parse(e.at);
        if (options.from !== undefined && !(t >= options.from)) continue;
        if (options.to !== undefined && !(t < options.to)) continue;
        submitted.set(id, { ...e, hmac: parsed.hmac });
      } else if (e.type === 'action.decided_by_policy') {
        const s = submitted.get(id);
        if (s === undefined) continue;
        submitted.delete(id);
        const r = build(id, s, e);
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
  // Every entry this reads is an `action.*` one; skip the others without parsing them.
  if (!text.includes('"type":"action.')) return undefined;
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

function build(id: string, s: Entry, d: Entry): RecordedRequest | undefined {
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
