/**
 * The web inbox's tables (migration 0005). Kept apart from schema.ts and added to a handle
 * with `db.withTables<WebTables>()`, so only the web code sees them.
 */
export interface WebSessionsTable {
  /** `ses_…`: names the session in the audit log and the request log (never the secret). */
  id: string;
  /** SHA-256 (hex) of the cookie value: a stolen database does not yield usable sessions. */
  secret_hash: string;
  user_id: string;
  /** JSON array: groups the IdP asserted (already limited to groups in the directory). */
  groups: string;
  /** How the session began: `oidc` or `link` (a one-time login link). */
  via: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface LoginLinksTable {
  id: string;
  /** SHA-256 (hex) of the link's token. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Set by the one redemption that succeeds. */
  used_at: number | null;
}

/** A sign-in in progress at the IdP: what the callback must match (state, nonce, PKCE). */
export interface OidcLoginsTable {
  /** SHA-256 (hex) of `state`. */
  state_hash: string;
  code_verifier: string;
  nonce: string;
  return_to: string;
  created_at: number;
  expires_at: number;
}

// A type alias, not an interface: Kysely's withTables<T> needs T to have an index signature.
export type WebTables = {
  web_sessions: WebSessionsTable;
  login_links: LoginLinksTable;
  oidc_logins: OidcLoginsTable;
};
