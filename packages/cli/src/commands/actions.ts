import { api, apiOptions } from '../api-client.js';
import { terminalJson, terminalSafe as safe } from '../terminal-text.js';

interface ActionSummary {
  id: string;
  status: string;
  action: string;
  resource: string;
  environment: string;
  agent: { id: string };
  created_at: string;
  expires_at: string | null;
  reason: string;
}

/** `actions list`: the caller's inbox (everything for an admin). */
export async function actionsList(options: {
  url?: string;
  token?: string;
  status?: string;
  agent?: string;
  action?: string;
  limit?: string;
  json?: boolean;
  breakGlass?: boolean;
}) {
  const query = new URLSearchParams();
  for (const key of ['status', 'agent', 'action', 'limit'] as const) {
    const v = options[key];
    if (v !== undefined) query.set(key, v);
  }
  if (options.breakGlass) query.set('break_glass', 'true');
  const page = await api<{ items: ActionSummary[] }>(
    apiOptions(options),
    'GET',
    `/v1/actions?${query.toString()}`,
  );
  if (options.json) {
    process.stdout.write(`${terminalJson(page)}\n`);
    return;
  }
  if (page.items.length === 0) {
    process.stdout.write('no requests\n');
    return;
  }
  // Every field came from the gateway, most of them from the agent: printed inert.
  for (const a of page.items) {
    const expires = a.status === 'pending' && a.expires_at ? `expires ${safe(a.expires_at)}` : '';
    process.stdout.write(
      `${safe(a.id)}  ${safe(a.status).padEnd(9)} ${safe(a.action).padEnd(24)} ${safe(a.environment).padEnd(11)} ${safe(a.resource)}  (${safe(a.agent.id)}) ${expires}\n`,
    );
  }
}

/** `actions show ID`: the full record as JSON (bidi and C1 controls as `\\u` escapes). */
export async function actionsShow(id: string, options: { url?: string; token?: string }) {
  const record = await api<unknown>(
    apiOptions(options),
    'GET',
    `/v1/actions/${encodeURIComponent(id)}`,
  );
  process.stdout.write(`${terminalJson(record)}\n`);
}

interface VoteAnswer {
  id: string;
  status: string;
  message: string;
  progress: { clauses: Array<{ rule: string; approvals: number; quorum: number }> } | null;
}

/** `actions approve|deny ID --comment TEXT [--break-glass]`. */
export async function actionsVote(
  vote: 'approve' | 'deny',
  id: string,
  options: { url?: string; token?: string; comment?: string; breakGlass?: boolean },
) {
  const answer = await api<VoteAnswer>(
    apiOptions(options),
    'POST',
    `/v1/actions/${encodeURIComponent(id)}/votes`,
    {
      vote,
      ...(options.comment === undefined ? {} : { comment: options.comment }),
      ...(options.breakGlass ? { break_glass: true } : {}),
    },
  );
  const progress = answer.progress?.clauses
    .map((c) => `${safe(c.rule)} ${c.approvals}/${c.quorum}`)
    .join(', ');
  process.stdout.write(
    `${safe(answer.id)}: ${safe(answer.status)}${progress ? ` (${progress})` : ''}\n${safe(answer.message)}\n`,
  );
}
