import { CountersignError, inertJsonLine, isCountersignError } from '@countersign/core';
import { api, apiOptions } from '../api-client.js';
import { terminalJson, terminalSafe as safe } from '../terminal-text.js';

/** A group of alike pending requests, as `GET /v1/batches` answers (docs/api.md). */
interface Batch {
  key: string;
  rules: string[];
  agent_id: string;
  action: string;
  environment: string;
  oldest_at: string;
  common: Record<string, unknown>;
  items: Array<{
    id: string;
    digest: string;
    resource: string;
    created_at: string;
    expires_at: string | null;
    differs: Record<string, unknown>;
  }>;
}

type ApiFlags = { url?: string; token?: string };

/**
 * `path=value`, inert, the value as its one-line JSON, never cut. Strings are quoted: the
 * string "1" never reads as the number 1, nor "null" as null, and a value with spaces never
 * reads as a further `path=value` pair or as "absent" (JSON escapes `"` and line breaks).
 */
const pair = (path: string, value: unknown) => `${safe(path)}=${inertJsonLine(value)}`;

/**
 * A group for a person: what every item shares once, then one line per item with everything
 * that tells it apart, in full (a cut value could hide the very difference that matters).
 * Every value is the agent's text, printed inert.
 */
function batchLines(b: Batch, items: Batch['items'] = b.items): string[] {
  const out = [
    `${items.length} × ${safe(b.action)} by ${safe(b.agent_id)} in ${safe(b.environment)} (rules: ${b.rules.map(safe).join(', ')})`,
  ];
  const common = Object.entries(b.common);
  out.push(
    `  same for all: ${common.length ? common.map(([p, v]) => pair(p, v)).join('  ') : '-'}`,
  );
  // A path some items have and others lack: the lacking ones say so, never a blank.
  const paths = [...new Set(items.flatMap((i) => Object.keys(i.differs)))];
  for (const i of items) {
    const differs = paths.map((p) =>
      p in i.differs ? pair(p, i.differs[p]) : `${safe(p)} absent`,
    );
    out.push(`  ${safe(i.id)}  ${differs.join('  ')}`);
  }
  return out;
}

/** `batches`: groups of alike requests you may vote on together. */
export async function batchesList(options: ApiFlags & { json?: boolean }) {
  const { items } = await api<{ items: Batch[] }>(apiOptions(options), 'GET', '/v1/batches');
  if (options.json) {
    process.stdout.write(`${terminalJson({ items })}\n`);
    return;
  }
  if (items.length === 0) {
    process.stdout.write('no batches\n');
    return;
  }
  process.stdout.write(`${items.map((b) => batchLines(b).join('\n')).join('\n\n')}\n`);
}

/**
 * `batches approve|deny --items ID,ID,...`: reads the batches first, shows exactly the items it
 * will decide with what tells each apart, and sends their ids with the digests it read. The
 * items must all be in one listed group; the gateway decides every one or none.
 */
export async function batchesVote(
  vote: 'approve' | 'deny',
  options: ApiFlags & { items: string; comment?: string },
) {
  const wanted = options.items
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (new Set(wanted).size !== wanted.length) {
    throw new CountersignError('invalid_request', '--items lists an id twice');
  }
  const flags = apiOptions(options);
  const { items: batches } = await api<{ items: Batch[] }>(flags, 'GET', '/v1/batches');
  const group = batches.find((b) => wanted.every((id) => b.items.some((i) => i.id === id)));
  if (!group) {
    throw new CountersignError(
      'invalid_request',
      'these items are not one batch you may vote on (countersign batches lists them)',
    );
  }
  const chosen = wanted.map((id) => group.items.find((i) => i.id === id) as Batch['items'][0]);
  process.stdout.write(`${vote} ${batchLines(group, chosen).join('\n')}\n`);
  let answer: { items: Array<{ id: string; status: string }> };
  try {
    answer = await api(flags, 'POST', '/v1/batches/votes', {
      vote,
      items: chosen.map((i) => ({ id: i.id, digest: i.digest })),
      ...(options.comment === undefined ? {} : { comment: options.comment }),
    });
  } catch (e) {
    if (isCountersignError(e) && e.code === 'batch_changed' && Array.isArray(e.extra.items)) {
      const why = (e.extra.items as Array<{ id: string; code: string; status: string | null }>)
        .map((i) => `${i.id} ${i.code}${i.status ? ` (${i.status})` : ''}`)
        .join('; ');
      // One line; reportError prints it inert.
      throw new CountersignError(e.code, `${e.message}: ${why}`);
    }
    throw e;
  }
  process.stdout.write(
    `${answer.items.map((i) => `${safe(i.id)}: ${safe(i.status)}`).join('\n')}\n`,
  );
}
