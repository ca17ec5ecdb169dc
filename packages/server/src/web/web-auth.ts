import type { AuditLog } from '../audit/audit-log.js';
import type { Directory } from '../config/directory.js';
import type { Storage } from '../storage/open-database.js';
import { WebSessionRepository } from '../storage/web-session-repository.js';
import { CookieSessions } from './cookie-sessions.js';
import { LoginLinkService } from './login-links.js';
import { OidcLogin } from './oidc-login.js';
import { SessionService } from './session-service.js';
import type { OidcSettings, WebSettings } from './web-settings.js';

/** Everything the web inbox signs people in with: sessions, login links, single sign-on. */
export interface WebAuth {
  sessions: SessionService;
  cookies: CookieSessions;
  links: LoginLinkService;
  /** Absent when `oidc:` is not configured. */
  oidc: { login: OidcLogin; settings: OidcSettings } | undefined;
  directory: Directory;
  publicUrl: string;
  /** Cookies are `Secure` (and `__Host-`) when the public URL is HTTPS. */
  secure: boolean;
  /** The gateway's clock: a cookie's Max-Age is counted on it, as the session's expiry is. */
  now: () => number;
}

export const DEFAULT_WEB_SETTINGS: WebSettings = { sessionTtlMs: 8 * 3_600_000, oidc: undefined };

/** Wires the web inbox's sign-in over the gateway's store and audit log. */
export function createWebAuth(options: {
  storage: Storage;
  directory: Directory;
  settings: WebSettings | undefined;
  publicUrl: string;
  audit: AuditLog;
  now: () => number;
}): WebAuth {
  const settings = options.settings ?? DEFAULT_WEB_SETTINGS;
  const repo = new WebSessionRepository(options.storage.db, options.audit);
  const sessions = new SessionService(repo, options.directory, settings.sessionTtlMs, options.now);
  const secure = options.publicUrl.startsWith('https:');
  return {
    sessions,
    cookies: new CookieSessions(sessions, secure),
    links: new LoginLinkService(repo, sessions, options.directory, options.now),
    oidc: settings.oidc && {
      login: new OidcLogin(settings.oidc, options.publicUrl, repo, options.now),
      settings: settings.oidc,
    },
    directory: options.directory,
    publicUrl: options.publicUrl,
    secure,
    now: options.now,
  };
}
