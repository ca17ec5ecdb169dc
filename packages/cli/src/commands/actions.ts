import { api, apiOptions } from '../api-client.js';
import { cut, keyParams } from '../key-params.js';
import { terminalJson, terminalSafe as safe } from '../terminal-text.js';
import { textTable } from '../text-table.js';
import { standingCreatedLine, standingOption, type StandingApproval } from './standing.js';

interface ActionRecord {
  id: string;
  status: string;
  decision: string;
  reason: string;
  action: string;
  resource: string;
  environment: string;
  risk: string | null;
  agent: { id: string };
  on_behalf_of: string | null;
  justification: string | null;
  params: Record<string, unknown>;
  created_at: string;
  expires_at: string | null;
  decided_at: string | null;
  progress: {
    clauses: Array<{
      rule: string;
      approvals: number;
      quorum: number;
      missing: Array<{ group: string; need: number }>;
    }>;
  } | null;
  approval: { on_timeout: string; clauses: Array<{ rule: string; from: string[] }> } | null;
  votes: Array<{
    user: string;
    vote: string;
    comment: string | null;
    channel: string;
    at: string;
    break_glass: boolean;
  }>;
  grant: { jti: string; expires_at: string; redeemed_at: string | null } | null;
  result: { outcome: string; at: string } | null;
}

/** `in 25m`, `3h ago`: how far a time is from now, to the minute. */
function fromNow(iso: string, now: number): string {
  const minutes = Math.round((Date.parse(iso) - now) / 60_000);
  const abs = Math.abs(minutes);
  const text =
    abs < 60 ? `${abs}m` : abs < 2880 ? `${Math.round(abs / 60)}h` : `${Math.round(abs / 1440)}d`;
  return minutes >= 0 ? `in ${text}` : `${text} ago`;
}

/** `rows=50000 format=parquet`, inert. */
const paramLine = (params: Record<string, unknown>) =>
  keyParams(params)
    .map(([k, v]) => `${safe(k)}=${safe(v)}`)
    .join(' ');

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
  const page = await api<{ items: ActionRecord[] }>(
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
  // Every field came from the gateway, most of them from the agent: printed inert. Under each
  // row, indented, why the agent asks and the parameters that tell it apart.
  const now = Date.now();
  const rows = page.items.map((a) => [
    safe(a.id),
    safe(a.status),
    safe(a.action),
    safe(a.resource),
    safe(a.agent.id),
    a.status === 'pending' && a.expires_at ? fromNow(a.expires_at, now) : '-',
  ]);
  const [header = '', ...lines] = textTable(
    ['id', 'status', 'action', 'resource', 'agent', 'expires'],
    rows,
    { 2: 32, 3: 48, 4: 24 },
  );
  const out = [header];
  page.items.forEach((a, i) => {
    out.push(lines[i] ?? '');
    const why = a.justification === null ? '' : `“${cut(safe(a.justification), 100)}”`;
    const params = paramLine(a.params);
    const detail = [why, params].filter((s) => s !== '').join('  ');
    if (detail !== '') out.push(`    ${detail}`);
  });
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * `actions show ID`: what, who, why, the parameters, the approval and its votes, the status
 * and the grant's state, for a person; `--json` prints the record (bidi and C1 controls as
 * `\\u` escapes, the same value).
 */
export async function actionsShow(
  id: string,
  options: { url?: string; token?: string; json?: boolean },
) {
  const a = await api<ActionRecord>(
    apiOptions(options),
    'GET',
    `/v1/actions/${encodeURIComponent(id)}`,
  );
  if (options.json) {
    process.stdout.write(`${terminalJson(a)}\n`);
    return;
  }
  process.stdout.write(`${showLines(a, Date.now()).join('\n')}\n`);
}

function showLines(a: ActionRecord, now: number): string[] {
  const field = (name: string, value: string) => `  ${name.padEnd(13)}${value}`;
  const out = [
    `${safe(a.action)} on ${safe(a.resource)}`,
    field('id', safe(a.id)),
    field('status', `${safe(a.status)}: ${safe(a.reason)}`),
    field('environment', safe(a.environment)),
    field('risk', a.risk === null ? 'not stated' : safe(a.risk)),
    field('agent', safe(a.agent.id)),
    field('on behalf of', a.on_behalf_of === null ? '-' : safe(a.on_behalf_of)),
    field('why', a.justification === null ? '-' : safe(a.justification)),
    field('requested', a.created_at),
  ];
  if (a.expires_at !== null)
    out.push(
      field(
        a.status === 'pending' ? 'expires' : 'deadline',
        `${a.expires_at} (${fromNow(a.expires_at, now)})`,
      ),
    );
  if (a.decided_at !== null) out.push(field('decided', a.decided_at));

  out.push('params');
  const keys = Object.keys(a.params);
  if (keys.length === 0) out.push('  (none)');
  const width = Math.min(24, Math.max(...keys.map((k) => Array.from(safe(k)).length)) + 2);
  for (const k of keys) {
    const v = a.params[k];
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    out.push(`  ${safe(k).padEnd(width)}${safe(text)}`);
  }

  if (a.approval !== null) {
    out.push(`approval (on timeout: ${safe(a.approval.on_timeout)})`);
    for (const c of a.progress?.clauses ?? []) {
      const missing = c.missing.map((m) => `${m.need} from ${safe(m.group)}`).join(', ');
      out.push(
        `  ${safe(c.rule)}  ${c.approvals}/${c.quorum}${missing ? `, still needs ${missing}` : ''}`,
      );
    }
  }
  out.push('votes');
  if (a.votes.length === 0) out.push('  (none)');
  for (const v of a.votes) {
    const comment = v.comment === null ? '' : `  “${safe(v.comment)}”`;
    const bg = v.break_glass ? ' (break-glass)' : '';
    out.push(`  ${safe(v.user)}  ${safe(v.vote)}${bg}  via ${safe(v.channel)}  ${v.at}${comment}`);
  }
  out.push(`grant         ${grantState(a)}`);
  if (a.result !== null) out.push(`result        ${safe(a.result.outcome)} at ${a.result.at}`);
  return out;
}

/** Reviewers never see the grant itself (a bearer capability): its state follows from the status. */
function grantState(a: ActionRecord): string {
  if (a.grant !== null)
    return a.grant.redeemed_at === null
      ? `issued, expires ${a.grant.expires_at} (token: --json)`
      : `redeemed ${a.grant.redeemed_at}`;
  switch (a.status) {
    case 'approved':
      return 'issued to the agent, not yet used';
    case 'completed':
    case 'failed':
      return 'redeemed; the agent reported the result';
    case 'pending':
      return 'none yet';
    default:
      return 'none';
  }
}

interface VoteAnswer {
  id: string;
  status: string;
  message: string;
  progress: { clauses: Array<{ rule: string; approvals: number; quorum: number }> } | null;
  standing_approval?: StandingApproval;
}

export interface VoteFlags {
  url?: string;
  token?: string;
  comment?: string;
  breakGlass?: boolean;
  standingUses?: string;
  standingWhen?: string;
  standingFor?: string;
  standingMaxUses?: string;
}

/**
 * `actions approve|deny ID --comment TEXT [--break-glass]`, and with an approval a standing
 * approval: `--standing-uses N` or `--standing-when EXPR --standing-for 4h [--standing-max-uses N]`.
 */
export async function actionsVote(vote: 'approve' | 'deny', id: string, options: VoteFlags) {
  const standing = standingOption(options);
  const answer = await api<VoteAnswer>(
    apiOptions(options),
    'POST',
    `/v1/actions/${encodeURIComponent(id)}/votes`,
    {
      vote,
      ...(options.comment === undefined ? {} : { comment: options.comment }),
      ...(options.breakGlass ? { break_glass: true } : {}),
      ...(standing === undefined ? {} : { standing }),
    },
  );
  const progress = answer.progress?.clauses
    .map((c) => `${safe(c.rule)} ${c.approvals}/${c.quorum}`)
    .join(', ');
  process.stdout.write(
    `${safe(answer.id)}: ${safe(answer.status)}${progress ? ` (${progress})` : ''}\n${safe(answer.message)}\n`,
  );
  if (answer.standing_approval) process.stdout.write(standingCreatedLine(answer.standing_approval));
}
