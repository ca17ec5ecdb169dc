import { inertJsonLine, type AuditEntry } from '@countersign/core';
import type { StoredCheckpoint } from '../storage/audit-repository.js';
import type { AuditLog } from './audit-log.js';
import { toOcsfEvent, type RequestContext } from './ocsf-event.js';

/** Entries read per query, and checkpoints fetched per look-up. */
const PAGE = 1000;
/** Requests whose context is kept while streaming (a request's entries are close together). */
const CONTEXT_CACHE = 10_000;

/**
 * Entries [from, to) of the log as OCSF events, one NDJSON line each (docs/ocsf.md). `to` must
 * not exceed a signed checkpoint's size: each event names the first checkpoint that includes
 * its entry, so the same entry exports to the same event every time (resume with `from`).
 */
export async function* ocsfExport(
  audit: AuditLog,
  range: { from: number; to: number },
  productVersion: string,
): AsyncGenerator<string> {
  const contexts = new Map<string, RequestContext>();
  let checkpoints: StoredCheckpoint[] = [];
  const covering = async (index: number): Promise<StoredCheckpoint> => {
    while (checkpoints.length > 0 && checkpoints[0].size <= index) checkpoints.shift();
    if (checkpoints.length === 0) checkpoints = await audit.checkpointsAbove(index, PAGE);
    const c = checkpoints[0];
    if (!c) throw new Error(`no signed checkpoint includes entry ${index}`);
    return c;
  };
  // One query per page for the requests it names that are not cached, not one per request.
  const loadContexts = async (requestIds: ReadonlySet<string>) => {
    if (contexts.size >= CONTEXT_CACHE) contexts.clear();
    const missing = [...requestIds].filter((id) => !contexts.has(id));
    const entries = new Map<string, AuditEntry[]>(missing.map((id) => [id, []]));
    for (const row of await audit.forRequests(missing)) {
      const e = JSON.parse(row.entry) as AuditEntry;
      entries.get(e.request_id ?? '')?.push(e);
    }
    for (const [id, list] of entries) contexts.set(id, requestContext(list));
  };
  for (let from = range.from; from < range.to; from += PAGE) {
    const rows = await audit.entries(from, Math.min(range.to, from + PAGE));
    const requestIds = rows.map((row) => {
      const id = (JSON.parse(row.entry) as Partial<AuditEntry>).request_id;
      return typeof id === 'string' ? id : undefined;
    });
    await loadContexts(new Set(requestIds.filter((id) => id !== undefined)));
    let lines = '';
    for (const [i, row] of rows.entries()) {
      const c = await covering(row.index);
      const requestId = requestIds[i];
      const event = toOcsfEvent({
        text: row.entry,
        leafHash: row.leaf_hash,
        checkpoint: { origin: audit.origin, size: c.size, root_hash: c.root_hash, note: c.note },
        request: requestId === undefined ? undefined : contexts.get(requestId),
        productVersion,
      });
      // A line is one event, whatever the text: JSON.stringify escapes C0 controls (line feeds
      // included), and inertJsonLine also DEL, C1 and bidi controls, which a terminal would obey.
      lines += `${inertJsonLine(event)}\n`;
    }
    yield lines;
  }
}

/** The agent, the action and who approved it, read from the request's own entries. */
function requestContext(entries: readonly AuditEntry[]): RequestContext {
  const out: RequestContext = {};
  for (const e of entries) {
    const data = e.data ?? {};
    if (e.type === 'action.submitted') {
      if (e.actor?.kind === 'agent') out.agent = e.actor.id;
      if (typeof data.action === 'string') out.action = data.action;
      if (typeof data.resource === 'string') out.resource = data.resource;
      if (typeof data.environment === 'string') out.environment = data.environment;
    }
    if (e.type === 'grant.issued' && Array.isArray(data.approvers)) {
      out.approvers = data.approvers.filter((a): a is string => typeof a === 'string');
    }
  }
  return out;
}
