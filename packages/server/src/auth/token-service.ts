import { CountersignError, newId } from '@countersign/core';
import type { Directory } from '../config/directory.js';
import type { TokenRepository, TokenRow, TokenSelector } from '../storage/token-repository.js';
import type { Principal } from './principal.js';
import { tokenCreated, tokenRevoked, type Actor } from '../audit/audit-events.js';

/** Token changes not made through the API: the operator at the CLI or the gateway itself. */
const OPERATOR: Actor = { kind: 'system', id: 'operator' };
import { generateToken, hashToken, looksLikeToken, type PrincipalKind } from './token-secret.js';

/** How long a cached token row is trusted before the store is asked again. */
export const TOKEN_CACHE_MS = 1000;
const TOKEN_CACHE_MAX = 10_000;

/**
 * Issues, resolves and revokes tokens against the directory.
 *
 * Every API call authenticates, and a store read is the dearest part of it, so token rows are
 * cached by hash. A revocation through this process clears the cache at once; one made
 * elsewhere (`countersign token revoke`, another replica) takes effect within TOKEN_CACHE_MS.
 * Expiry is checked on every call against the cached row.
 */
export class TokenService {
  readonly #cache = new Map<string, { row: TokenRow; at: number }>();

  constructor(
    private readonly tokens: TokenRepository,
    private readonly directory: Directory,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a token; the plaintext is returned once and never stored. */
  async create(
    kind: PrincipalKind,
    principalId: string,
    options: { label?: string | undefined; ttlMs?: number | undefined; actor?: Actor } = {},
  ): Promise<{ id: string; token: string; row: TokenRow }> {
    const known =
      kind === 'agent' ? this.directory.agent(principalId) : this.directory.user(principalId);
    if (!known) {
      throw new CountersignError('not_found', `no ${kind} "${principalId}" in the directory`);
    }
    const token = generateToken(kind);
    const now = this.now();
    const row: TokenRow = {
      id: newId('tok', now),
      token_hash: hashToken(token),
      principal_kind: kind,
      principal_id: principalId,
      scopes: kind === 'agent' ? 'agent' : 'review',
      label: options.label ?? null,
      created_at: now,
      expires_at: options.ttlMs === undefined ? null : now + options.ttlMs,
      revoked_at: null,
    };
    // Token changes are evidence: recorded in the audit log in their own transaction.
    await this.tokens.transaction(async (tx) => {
      await tx.insert(row);
      await tx.appendEvidence([
        tokenCreated(options.actor ?? OPERATOR, {
          token_id: row.id,
          principal: { kind, id: principalId },
          label: row.label,
          expires_at: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
        }),
      ]);
    });
    return { id: row.id, token, row };
  }

  /** Resolves a bearer token to a principal, or throws the reason it cannot be used. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (token === undefined) {
      throw new CountersignError('unauthenticated', 'missing bearer token');
    }
    if (!looksLikeToken(token)) {
      throw new CountersignError('invalid_token', 'the bearer token is not a Countersign token');
    }
    const row = await this.#row(hashToken(token));
    if (!row) throw new CountersignError('invalid_token', 'unknown token');
    if (row.revoked_at !== null)
      throw new CountersignError('token_revoked', 'the token was revoked');
    if (row.expires_at !== null && Number(row.expires_at) <= this.now()) {
      throw new CountersignError('invalid_token', 'the token has expired');
    }
    if (row.principal_kind === 'agent') {
      if (!this.directory.agent(row.principal_id)) {
        throw new CountersignError('invalid_token', 'the agent no longer exists');
      }
      return {
        kind: 'agent',
        id: row.principal_id,
        tokenId: row.id,
        groups: [],
        admin: false,
        auditor: false,
      };
    }
    const user = this.directory.user(row.principal_id);
    if (!user) throw new CountersignError('invalid_token', 'the user no longer exists');
    return {
      kind: 'user',
      id: user.id,
      tokenId: row.id,
      groups: user.groups,
      admin: user.admin,
      auditor: user.auditor,
    };
  }

  async #row(hash: string): Promise<TokenRow | undefined> {
    const now = this.now();
    const hit = this.#cache.get(hash);
    if (hit && now - hit.at < TOKEN_CACHE_MS) return hit.row;
    const row = await this.tokens.findByHash(hash);
    // Only usable tokens are cached: unknown ones must be seen the moment they are created.
    if (row && row.revoked_at === null) {
      if (this.#cache.size >= TOKEN_CACHE_MAX) this.#cache.clear();
      this.#cache.set(hash, { row, at: now });
    } else {
      this.#cache.delete(hash);
    }
    return row;
  }

  revoke(tokenId: string, actor: Actor = OPERATOR): Promise<number> {
    return this.#revoke({ id: tokenId }, actor);
  }

  revokeAll(kind: PrincipalKind, principalId: string, actor: Actor = OPERATOR): Promise<number> {
    return this.#revoke({ principal_kind: kind, principal_id: principalId }, actor);
  }

  #revoke(by: TokenSelector, actor: Actor): Promise<number> {
    const revoked = this.tokens.transaction(async (tx) => {
      const ids = await tx.revoke(by, this.now());
      await tx.appendEvidence(ids.map((token_id) => tokenRevoked(actor, { token_id })));
      return ids.length;
    });
    // Cleared after the commit: a concurrent call (another pooled connection) may have cached
    // the row while the revocation was in flight.
    return revoked.finally(() => this.#cache.clear());
  }
}
