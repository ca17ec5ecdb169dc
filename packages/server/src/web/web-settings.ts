import { Type, type Static } from 'typebox';
import { parseDuration } from '@countersign/core';

/** The `oidc:` section of countersign.yaml: single sign-on for the web inbox (docs/web.md). */
export const OidcConfigSchema = Type.Object(
  {
    /** The IdP's issuer URL; its `/.well-known/openid-configuration` is read at first login. */
    issuer: Type.String({ pattern: '^https?://', maxLength: 2000 }),
    client_id: Type.String({ minLength: 1, maxLength: 500 }),
    /** Better from OIDC_CLIENT_SECRET; absent means a public client (PKCE alone). */
    client_secret: Type.Optional(Type.String({ minLength: 1 })),
    /** Where the IdP sends the browser back; register `<public_url><redirect_path>` there. */
    redirect_path: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9/_-]*$', maxLength: 200 })),
    scopes: Type.Optional(Type.Array(Type.String({ pattern: '^[\\x21-\\x7e]+$' }))),
    /** A claim listing group names; those that exist in the directory are added to the user's. */
    groups_claim: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /**
     * How a sign-in finds its directory user: `email` (a user's `oidc_sub` first, then a
     * verified email), or `sub` (only users with a matching `oidc_sub`).
     */
    match_users_by: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('sub')])),
  },
  { additionalProperties: false },
);
export type OidcConfig = Static<typeof OidcConfigSchema>;

/** The `web:` section of countersign.yaml. */
export const WebConfigSchema = Type.Object(
  {
    /** How long a web session lasts from sign-in (absolute, not idle): 5m to 7d; 8h. */
    session_ttl: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type WebConfig = Static<typeof WebConfigSchema>;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectPath: string;
  scopes: string[];
  groupsClaim: string | undefined;
  matchUsersBy: 'email' | 'sub';
  /**
   * openid-client refuses plain-HTTP issuers; we allow one only on loopback (a local IdP in
   * development and in the browser tests), where nothing crosses a network.
   */
  allowInsecureIssuer: boolean;
}

export interface WebSettings {
  sessionTtlMs: number;
  /** Absent: no single sign-on (the demo signs in with one-time links). */
  oidc: OidcSettings | undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a URL's host is this machine: plain HTTP to it never leaves the host. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

/**
 * Resolves `oidc:` and `web:`. The client secret comes from OIDC_CLIENT_SECRET before the
 * file. Problems are appended as `file:line: message`.
 */
export function resolveWebSettings(
  oidc: OidcConfig | undefined,
  web: WebConfig | undefined,
  env: NodeJS.ProcessEnv,
  where: (segments: (string | number)[]) => string,
  problems: string[],
): WebSettings {
  const ttl = parseDuration(web?.session_ttl ?? '8h') ?? 0;
  if (ttl < 300_000 || ttl > 7 * 86_400_000) {
    problems.push(`${where(['web', 'session_ttl'])}: web.session_ttl must be from 5m to 7d`);
  }
  if (!oidc) return { sessionTtlMs: ttl, oidc: undefined };
  let issuer: URL | undefined;
  try {
    issuer = new URL(oidc.issuer);
  } catch {
    problems.push(`${where(['oidc', 'issuer'])}: oidc.issuer is not a URL`);
  }
  const insecure = issuer?.protocol === 'http:';
  if (issuer && insecure && !isLoopbackUrl(issuer)) {
    // Discovery, the token exchange and the IdP's keys over plain HTTP could be rewritten in
    // transit, and a forged ID token would sign anyone in.
    problems.push(
      `${where(['oidc', 'issuer'])}: oidc.issuer must be https (http only on loopback)`,
    );
  }
  const scopes = oidc.scopes ?? ['openid', 'email', 'profile'];
  if (!scopes.includes('openid')) {
    problems.push(`${where(['oidc', 'scopes'])}: oidc.scopes must include "openid"`);
  }
  return {
    sessionTtlMs: ttl,
    oidc: {
      issuer: oidc.issuer,
      clientId: oidc.client_id,
      clientSecret: env.OIDC_CLIENT_SECRET ?? oidc.client_secret,
      redirectPath: oidc.redirect_path ?? '/auth/callback',
      scopes,
      groupsClaim: oidc.groups_claim,
      matchUsersBy: oidc.match_users_by ?? 'email',
      allowInsecureIssuer: insecure,
    },
  };
}
