import { CountersignError, newId } from '@countersign/core';
import { tokenCreated, type Actor } from '../audit/audit-events.js';
import type { Directory } from '../config/directory.js';
import type { WebSessionRepository, WebTx } from '../storage/web-session-repository.js';
import type { OpenedSession, SessionService } from './session-service.js';
import { generateSecret, hashSecret, looksLikeSecret } from './web-secret.js';

const PREFIX = 'csl_';

/**
 * One-time login links (`/login/one-time?token=csl_…`): how the embedded demo signs people in
 * without an IdP, and how an operator can let someone in once. Single use, short-lived, stored
 * as a hash; using one opens a session in the same transaction.
 */
export class LoginLinkService {
  constructor(
    private readonly repo: WebSessionRepository,
    private readonly sessions: SessionService,
    private readonly directory: Directory,
    private readonly now: () => number,
  ) {}

  /**
   * A new link token for a directory user; the plaintext is returned once. `actor` is who
   * minted it (`countersign login-link` names the operator, the demo itself): the audit entry
   * says who let whom in.
   */
  async create(
    userId: string,
    ttlMs = 30 * 60_000,
    actor: Actor = { kind: 'system', id: 'operator' },
  ): Promise<{ token: string; expiresAt: number }> {
    if (!this.directory.user(userId)) {
      throw new CountersignError('not_found', `no user "${userId}" in the directory`);
    }
    const token = generateSecret(PREFIX);
    const now = this.now();
    const id = newId('lnk', now);
    const expiresAt = now + ttlMs;
    await this.repo.transaction(async (tx) => {
      await tx.insertLink({
        id,
        token_hash: hashSecret(token),
        user_id: userId,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
      });
      await tx.appendEvidence([
        tokenCreated(actor, {
          token_id: id,
          principal: { kind: 'user', id: userId },
          label: 'one-time login link',
          expires_at: new Date(expiresAt).toISOString(),
        }),
      ]);
    });
    return { token, expiresAt };
  }

  /** Uses a link: a session for its user, or `invalid_token` saying why not. */
  async redeem(token: string): Promise<OpenedSession> {
    if (!looksLikeSecret(token, PREFIX)) {
      throw new CountersignError('invalid_token', 'this is not a Countersign login link');
    }
    const hash = hashSecret(token);
    return this.sessions.open({
      via: 'link',
      user: async (tx) => {
        const link = await tx.useLink(hash, this.now());
        if (!link) throw new CountersignError('invalid_token', await this.whyUnusable(hash, tx));
        if (!this.directory.user(link.user_id)) {
          throw new CountersignError('invalid_token', 'the user no longer exists');
        }
        return { id: link.user_id, evidence: { login_link: link.id } };
      },
    });
  }

  /** Inside the redeeming transaction: SQLite has one connection, and it holds it. */
  private async whyUnusable(hash: string, tx: WebTx): Promise<string> {
    const link = await tx.findLink(hash);
    if (!link) return 'unknown login link';
    if (link.used_at !== null) return 'this login link was already used: links work once';
    return 'this login link has expired: ask for a new one (the demo prints new links at start)';
  }
}
