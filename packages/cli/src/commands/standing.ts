import { CountersignError } from '@countersign/core';
import { api, apiOptions } from '../api-client.js';
import { terminalJson, terminalSafe as safe } from '../terminal-text.js';
import { textTable } from '../text-table.js';

/** A standing approval as the API returns it (docs/api.md). */
export interface StandingApproval {
  id: string;
  status: string;
  source_action_id: string;
  agent_id: string;
  action: string;
  environment: string;
  rules: string[];
  scope: { kind: 'digest'; digest: string } | { kind: 'condition'; when: string };
  max_uses: number;
  uses: number;
  expires_at: string;
  created_at: string;
  created_by: string;
  endorsers: Array<{ user: string; channel: string; at: string }>;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  uses_log?: string[];
}

type Api = { url?: string; token?: string };

/** The vote body's `standing`, from `actions approve` options (docs/cli.md). */
export function standingOption(o: {
  standingUses?: string;
  standingWhen?: string;
  standingFor?: string;
  standingMaxUses?: string;
}): Record<string, unknown> | undefined {
  const int = (flag: string, v: string): number => {
    if (!/^[1-9][0-9]{0,6}$/.test(v)) {
      throw new CountersignError('invalid_request', `${flag} must be a whole number ≥ 1`);
    }
    return Number(v);
  };
  if (o.standingUses !== undefined) {
    if (o.standingWhen !== undefined || o.standingFor !== undefined) {
      throw new CountersignError(
        'invalid_request',
        '--standing-uses is for this exact action; --standing-when/--standing-for are the other kind',
      );
    }
    return { uses: int('--standing-uses', o.standingUses) };
  }
  if (o.standingWhen === undefined && o.standingFor === undefined) {
    if (o.standingMaxUses !== undefined) {
      throw new CountersignError('invalid_request', '--standing-max-uses needs --standing-when');
    }
    return undefined;
  }
  if (o.standingWhen === undefined || o.standingFor === undefined) {
    throw new CountersignError(
      'invalid_request',
      '--standing-when and --standing-for go together (a condition and a duration)',
    );
  }
  return {
    when: o.standingWhen,
    for: o.standingFor,
    ...(o.standingMaxUses === undefined
      ? {}
      : { max_uses: int('--standing-max-uses', o.standingMaxUses) }),
  };
}

/** One line of what a standing approval approves, inert. */
function scopeText(sa: StandingApproval): string {
  return sa.scope.kind === 'digest'
    ? `this exact action (${safe(sa.scope.digest.slice(0, 19))}…)`
    : `when ${safe(sa.scope.when)}`;
}

/** Printed after a vote that created one. */
export function standingCreatedLine(sa: StandingApproval): string {
  const who = sa.endorsers.map((e) => safe(e.user)).join(', ');
  return sa.status === 'proposed'
    ? `standing approval ${safe(sa.id)} proposed by ${who}: another reviewer must endorse it (countersign standing endorse ${safe(sa.id)})\n`
    : `standing approval ${safe(sa.id)} active: ${sa.max_uses} uses of ${scopeText(sa)} until ${safe(sa.expires_at)}\n`;
}

/** `standing list [--all] [--status S] [--agent ID] [--json]`. */
export async function standingList(
  options: Api & {
    all?: boolean;
    status?: string;
    agent?: string;
    json?: boolean;
  },
) {
  const q = new URLSearchParams();
  q.set('status', options.all ? 'all' : (options.status ?? 'active'));
  if (options.agent !== undefined) q.set('agent', options.agent);
  const { items } = await api<{ items: StandingApproval[] }>(
    apiOptions(options),
    'GET',
    `/v1/standing-approvals?${q.toString()}`,
  );
  if (options.json) {
    process.stdout.write(`${terminalJson(items)}\n`);
    return;
  }
  if (items.length === 0) {
    process.stdout.write('no standing approvals\n');
    return;
  }
  const lines = textTable(
    ['id', 'status', 'agent', 'action', 'env', 'uses', 'expires', 'endorsers', 'scope'],
    items.map((sa) => [
      safe(sa.id),
      safe(sa.status),
      safe(sa.agent_id),
      safe(sa.action),
      safe(sa.environment),
      `${sa.uses}/${sa.max_uses}`,
      safe(sa.expires_at),
      sa.endorsers.map((e) => safe(e.user)).join(','),
      scopeText(sa),
    ]),
    { 2: 24, 3: 32, 8: 60 },
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `standing show ID [--json]`. */
export async function standingShow(id: string, options: Api & { json?: boolean }) {
  const sa = await api<StandingApproval>(
    apiOptions(options),
    'GET',
    `/v1/standing-approvals/${encodeURIComponent(id)}`,
  );
  if (options.json) {
    process.stdout.write(`${terminalJson(sa)}\n`);
    return;
  }
  const lines = [
    `${safe(sa.id)}  ${safe(sa.status)}`,
    `approves:   ${safe(sa.agent_id)} ${safe(sa.action)} in ${safe(sa.environment)}, ${scopeText(sa)}`,
    `rules:      ${sa.rules.map(safe).join(', ')}`,
    `uses:       ${sa.uses} of ${sa.max_uses}; expires ${safe(sa.expires_at)}`,
    `created:    ${safe(sa.created_at)} by ${safe(sa.created_by)} (from ${safe(sa.source_action_id)})`,
    `endorsers:  ${sa.endorsers.map((e) => `${safe(e.user)} (${safe(e.channel)}, ${safe(e.at)})`).join('; ')}`,
  ];
  if (sa.revoked_at !== null) {
    lines.push(
      `revoked:    ${safe(sa.revoked_at)} by ${safe(sa.revoked_by ?? '?')}${sa.revoke_reason ? `: ${safe(sa.revoke_reason)}` : ''}`,
    );
  }
  if (sa.uses_log && sa.uses_log.length > 0) {
    lines.push(`approved:   ${sa.uses_log.map(safe).join(', ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `standing endorse ID`. */
export async function standingEndorse(id: string, options: Api) {
  const sa = await api<StandingApproval>(
    apiOptions(options),
    'POST',
    `/v1/standing-approvals/${encodeURIComponent(id)}/endorse`,
    {},
  );
  process.stdout.write(
    `${safe(sa.id)}: ${safe(sa.status)} (${sa.endorsers.map((e) => safe(e.user)).join(', ')})\n`,
  );
}

/** `standing revoke ID [--reason TEXT]`. */
export async function standingRevoke(id: string, options: Api & { reason?: string }) {
  const sa = await api<StandingApproval>(
    apiOptions(options),
    'POST',
    `/v1/standing-approvals/${encodeURIComponent(id)}/revoke`,
    options.reason === undefined ? {} : { reason: options.reason },
  );
  process.stdout.write(`${safe(sa.id)}: ${safe(sa.status)} by ${safe(sa.revoked_by ?? '?')}\n`);
}
