import type { AuditEntry } from '@countersign/core';
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
  const context = async (requestId: string): Promise<RequestContext> => {
    let known = contexts.get(requestId);
    if (!known) {
      if (contexts.size >= CONTEXT_CACHE) contexts.clear();
      known = requestContext((await audit.forRequest(requestId)).map((r) => r.entry));
      contexts.set(requestId, known);
    }
    return known;
  };
  for (let from = range.from; from < range.to; from += PAGE) {
    const rows = await audit.entries(from, Math.min(range.to, from + PAGE));
    let lines = '';
    for (const row of rows) {
      const c = await covering(row.index);
      const requestId = (JSON.parse(row.entry) as Partial<AuditEntry>).request_id;
      const event = toOcsfEvent({
        text: row.entry,
        leafHash: row.leaf_hash,
        checkpoint: { origin: audit.origin, size: c.size, root_hash: c.root_hash, note: c.note },
        request: typeof requestId === 'string' ? await context(requestId) : undefined,
        productVersion,
      });
      // JSON.stringify escapes every control character: a line is one event, whatever the text.
      lines += `${JSON.stringify(event)}\n`;
    }
    yield lines;
  }
}

/** The agent, the action and who approved it, read from the request's own entries. */
function requestContext(texts: readonly string[]): RequestContext {
  const out: RequestContext = {};
  for (const text of texts) {
    const e = JSON.parse(text) as AuditEntry;
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
