import { userInfo } from 'node:os';
import { CountersignError } from '@countersign/core';
import { createWebAuth, openAuditLog } from '@countersign/server';
import { withStore } from '../open-store.js';

const DURATION = /^(\d+)([smh])$/;
/** Links are for signing in now: at most a day (the web session itself lasts longer). */
const MAX_TTL_MS = 24 * 3_600_000;

function ttlMs(text: string): number {
  const m = DURATION.exec(text);
  const ms = m ? Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3 }[m[2] as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 60_000 && ms <= MAX_TTL_MS)) {
    throw new CountersignError('invalid_request', `--ttl: from 1m to 24h, e.g. 30m (got ${text})`);
  }
  return ms;
}

/** Who ran the command, for the audit entry: the operating-system account. */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * `login-link --user ID`: a one-time web sign-in link (docs/web.md) for a gateway without
 * single sign-on, written to the store the gateway reads. The link alone goes to stdout (so it
 * can be piped to the person); the audit log records who minted it for whom (`token.created`,
 * actor `operator:<os user>`, label "one-time login link").
 */
export async function loginLink(options: { config: string; user?: string; ttl: string }) {
  if (!options.user) throw new CountersignError('invalid_request', 'give --user ID');
  const user = options.user;
  const ms = ttlMs(options.ttl);
  const { link, expiresAt } = await withStore(options.config, async (storage, config) => {
    const audit = await openAuditLog(storage, { origin: config.audit.origin });
    const web = createWebAuth({
      storage,
      directory: config.directory,
      settings: config.web,
      publicUrl: config.server.publicUrl,
      audit,
      now: Date.now,
    });
    const minted = await web.links.create(user, ms, {
      kind: 'system',
      id: `operator:${operator()}`,
    });
    const base = config.server.publicUrl.replace(/\/+$/, '');
    return {
      link: `${base}/login/one-time?token=${minted.token}`,
      expiresAt: minted.expiresAt,
    };
  });
  process.stderr.write(
    `one-time sign-in link for ${user}: works once, until ${new Date(expiresAt).toISOString()}\n`,
  );
  process.stdout.write(`${link}\n`);
}
