import { CountersignError, newId } from '@countersign/core';
import type { Principal } from '../auth/principal.js';
import { tokenCreated, tokenRevoked, type SessionEvidence } from '../audit/audit-events.js';
import type { Directory } from '../config/directory.js';
import type { WebSessionRepository, WebTx } from '../storage/web-session-repository.js';
import { generateSecret, hashSecret, looksLikeSecret } from './web-secret.js';

/** How a session began: single sign-on, or a one-time login link (the demo). */
export type SessionOrigin = 'oidc' | 'link';

export interface OpenedSession {
  id: string;
  /** The cookie value: returned once, stored only as its hash. */
  secret: string;
  userId: string;
  expiresAt: number;
}

export interface AuthenticatedSession {
  principal: Principal;
  expiresAt: number;
  via: SessionOrigin;
}

const LABEL: Record<SessionOrigin, string> = {
  oidc: 'web session (single sign-on)',
  link: 'web session (one-time login link)',
};

/**
 * Server-side web sessions: an opaque random cookie, its hash in the store. Expiry, logout
 * and revocation are decided here on every request; nothing the browser holds can extend them.
 * Sign-ins and logouts are evidence, recorded like token changes (`token.created`/`revoked`).
 */
export class SessionService {
  constructor(
    private readonly repo: WebSessionRepository,
    private readonly directory: Directory,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Opens a session for a user, in one transaction with its audit entry. `user` may be found
   * inside that transaction (a login link is consumed in it, so a failed insert uses no link).
   */
  async open(options: {
    via: SessionOrigin;
    user: string | ((tx: WebTx) => Promise<{ id: string; evidence?: SessionEvidence }>);
    /** IdP-asserted groups, already limited to groups that exist in the directory. */
    groups?: readonly string[];
    /** Extra evidence for the audit entry (the login link's id, the IdP's issuer and sub). */
    evidence?: SessionEvidence;
  }): Promise<OpenedSession> {
    const secret = generateSecret();
    const now = this.now();
    const id = newId('ses', now);
    const expiresAt = now + this.ttlMs;
    const userId = await this.repo.transaction(async (tx) => {
      const found =
        typeof options.user === 'string' ? { id: options.user } : await options.user(tx);
      const userId = found.id;
      await tx.insertSession({
        id,
        secret_hash: hashSecret(secret),
        user_id: userId,
        groups: JSON.stringify(options.groups ?? []),
        via: options.via,
        created_at: now,
        expires_at: expiresAt,
        revoked_at: null,
      });
      await tx.appendEvidence([
        tokenCreated(
          { kind: 'user', id: userId },
          {
            token_id: id,
            principal: { kind: 'user', id: userId },
            label: LABEL[options.via],
            expires_at: new Date(expiresAt).toISOString(),
            groups_from_idp: options.groups ?? [],
            ...options.evidence,
            ...found.evidence,
          },
        ),
      ]);
      return userId;
    });
    return { id, secret, userId, expiresAt };
  }

  /** Resolves a session cookie to its user, or throws why it cannot be used (401). */
  async authenticate(secret: string): Promise<AuthenticatedSession> {
    if (!looksLikeSecret(secret)) {
      throw new CountersignError(
        'invalid_token',
        'the session cookie is not a Countersign session',
      );
    }
    const row = await this.repo.findSession(hashSecret(secret));
    if (!row) throw new CountersignError('invalid_token', 'unknown session');
    if (row.revoked_at !== null) {
      throw new CountersignError('token_revoked', 'the session was ended (logged out or revoked)');
    }
    if (Number(row.expires_at) <= this.now()) {
      throw new CountersignError('invalid_token', 'the session has expired: sign in again');
    }
    const user = this.directory.user(row.user_id);
    if (!user) throw new CountersignError('invalid_token', 'the user no longer exists');
    // IdP groups count only while the directory still has them (PRODUCT.md: the directory
    // says who exists); the union is recomputed per request, so a directory edit applies at once.
    const fromIdp = (JSON.parse(row.groups) as string[]).filter((g) =>
      this.directory.groups.has(g),
    );
    const principal: Principal = {
      kind: 'user',
      id: user.id,
      tokenId: row.id,
      groups: [...new Set([...user.groups, ...fromIdp])],
      admin: user.admin,
      auditor: user.auditor,
      via: 'session',
    };
    return { principal, expiresAt: Number(row.expires_at), via: row.via as SessionOrigin };
  }

  /** Ends a session (logout). Idempotent: ending an ended session is not an error. */
  async revoke(sessionId: string, userId: string): Promise<void> {
    await this.repo.transaction(async (tx) => {
      if (!(await tx.revokeSession(sessionId, this.now()))) return;
      await tx.appendEvidence([
        tokenRevoked({ kind: 'user', id: userId }, { token_id: sessionId, reason: 'logout' }),
      ]);
    });
  }

  #lastPurge = 0;

  /**
   * Deletes sessions, links and sign-ins that can no longer be used, a day after they died
   * (a scheduler job; at most once a minute, whatever the tick).
   */
  async purge(): Promise<void> {
    const now = this.now();
    if (now - this.#lastPurge < 60_000) return;
    this.#lastPurge = now;
    await this.repo.purge(now, now - 86_400_000);
  }
}
