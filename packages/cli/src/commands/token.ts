import { CountersignError } from '@countersign/core';
import { TokenRepository, TokenService, openAuditLog } from '@countersign/server';
import { withStore } from '../open-store.js';

async function withTokens<T>(
  configFile: string,
  f: (tokens: TokenService, repo: TokenRepository) => Promise<T>,
) {
  return withStore(configFile, async (storage, config) => {
    const audit = await openAuditLog(storage, { origin: config.audit.origin });
    const repo = new TokenRepository(storage.db, audit);
    return f(new TokenService(repo, config.directory, Date.now), repo);
  });
}

function principal(options: { agent?: string; user?: string }): ['agent' | 'user', string] {
  if (options.agent && options.user)
    throw new CountersignError('invalid_request', 'give --agent or --user, not both');
  if (options.agent) return ['agent', options.agent];
  if (options.user) return ['user', options.user];
  throw new CountersignError('invalid_request', 'give --agent ID or --user ID');
}

const DURATION = /^(\d+)([smhd])$/;
function ttl(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = DURATION.exec(text);
  if (!m)
    throw new CountersignError(
      'invalid_request',
      `--ttl: expected e.g. 90d, 12h, 30m (got ${text})`,
    );
  return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** `token create`: prints the token once, on stdout alone, so it can be piped into a secret store. */
export async function tokenCreate(options: {
  config: string;
  agent?: string;
  user?: string;
  label?: string;
  ttl?: string;
}) {
  const [kind, id] = principal(options);
  const created = await withTokens(options.config, (t) =>
    t.create(kind, id, { label: options.label, ttlMs: ttl(options.ttl) }),
  );
  process.stderr.write(`created ${kind} token ${created.id} for ${id}; it is shown once:\n`);
  process.stdout.write(`${created.token}\n`);
}

/** `token revoke ID` or `token revoke --agent X | --user Y` (all of that principal's tokens). */
export async function tokenRevoke(
  id: string | undefined,
  options: { config: string; agent?: string; user?: string },
) {
  const n = await withTokens(options.config, (t) => {
    if (id) return t.revoke(id);
    const [kind, who] = principal(options);
    return t.revokeAll(kind, who);
  });
  if (n === 0) throw new CountersignError('not_found', 'no active token matched');
  process.stdout.write(`revoked ${n} token${n === 1 ? '' : 's'}\n`);
}

export async function tokenList(options: { config: string }) {
  const rows = await withTokens(options.config, (_t, repo) => repo.list());
  for (const r of rows) {
    const state =
      r.revoked_at !== null
        ? 'revoked'
        : r.expires_at !== null && Number(r.expires_at) < Date.now()
          ? 'expired'
          : 'active';
    process.stdout.write(
      `${r.id}  ${r.principal_kind.padEnd(5)} ${r.principal_id.padEnd(20)} ${state.padEnd(8)} ${new Date(Number(r.created_at)).toISOString()}  ${r.label ?? ''}\n`,
    );
  }
}
