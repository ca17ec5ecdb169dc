import * as client from 'openid-client';
import { CountersignError, constantTimeEqual } from '@countersign/core';
import type { WebSessionRepository } from '../storage/web-session-repository.js';
import type { OidcClaims } from './oidc-user.js';
import type { OidcSettings } from './web-settings.js';
import { hashSecret } from './web-secret.js';

/** How long a person has at the IdP between leaving and coming back. */
const LOGIN_TTL_MS = 10 * 60_000;

/**
 * OpenID Connect sign-in, authorization code flow with PKCE (RFC 7636, S256), through
 * openid-client: it does discovery, the token exchange, and the ID token checks (signature
 * against the IdP's JWKS, `iss`, `aud`, `exp`, `nonce`) that are easy to get subtly wrong.
 *
 * What a sign-in in progress must match is kept server-side (state hash → PKCE verifier,
 * nonce, where to go after), and the browser holds `state` in an HttpOnly cookie: a callback
 * is accepted only in the browser that started it (login CSRF, RFC 6749 §10.12), once.
 */
export class OidcLogin {
  #configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly publicUrl: string,
    private readonly repo: WebSessionRepository,
    private readonly now: () => number,
  ) {}

  get redirectUri(): string {
    return new URL(this.settings.redirectPath, this.publicUrl).href;
  }

  get redirectPath(): string {
    return this.settings.redirectPath;
  }

  /** Starts a sign-in: where to send the browser, and the `state` for its cookie. */
  async start(returnTo: string): Promise<{ url: string; state: string }> {
    const config = await this.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const now = this.now();
    await this.repo.insertOidcLogin({
      state_hash: hashSecret(state),
      code_verifier: codeVerifier,
      nonce,
      return_to: returnTo,
      created_at: now,
      expires_at: now + LOGIN_TTL_MS,
    });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Completes a sign-in from the callback URL: the verified claims and where to go next.
   * Throws `invalid_request` for a callback that is not ours, `unauthenticated` when the IdP
   * or the token exchange says no.
   */
  async finish(
    callbackUrl: URL,
    cookieState: string | undefined,
  ): Promise<{ claims: OidcClaims; issuer: string; returnTo: string }> {
    const state = callbackUrl.searchParams.get('state');
    if (state === null || cookieState === undefined || !constantTimeEqual(state, cookieState)) {
      throw new CountersignError(
        'invalid_request',
        'this sign-in did not start in this browser (state mismatch)',
        { reason: 'state_mismatch' },
      );
    }
    const login = await this.repo.takeOidcLogin(hashSecret(state));
    if (!login || Number(login.expires_at) <= this.now()) {
      throw new CountersignError('invalid_request', 'this sign-in expired or was already used', {
        reason: 'expired',
      });
    }
    const config = await this.configuration();
    let claims: OidcClaims;
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: login.code_verifier,
        expectedState: state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new Error('no ID token');
      claims = { ...idClaims };
      // Some IdPs put email or groups only in UserInfo; the ID token's values win.
      const missing =
        claims.email === undefined ||
        (this.settings.groupsClaim !== undefined &&
          claims[this.settings.groupsClaim] === undefined);
      if (missing && config.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...claims };
      }
    } catch (e) {
      throw new CountersignError(
        'unauthenticated',
        `the identity provider did not sign you in: ${(e as Error).message}`,
        { reason: 'idp_error' },
      );
    }
    return { claims, issuer: config.serverMetadata().issuer, returnTo: login.return_to };
  }

  /** Discovery once, lazily (the gateway starts even while the IdP is down); retried on failure. */
  private configuration(): Promise<client.Configuration> {
    if (!this.#configuration) {
      const s = this.settings;
      this.#configuration = client
        .discovery(
          new URL(s.issuer),
          s.clientId,
          undefined,
          s.clientSecret === undefined ? client.None() : client.ClientSecretBasic(s.clientSecret),
          { execute: s.allowInsecureIssuer ? [client.allowInsecureRequests] : [], timeout: 10 },
        )
        .catch((e: unknown) => {
          this.#configuration = undefined;
          throw new CountersignError(
            'unauthenticated',
            `the identity provider could not be reached: ${(e as Error).message}`,
            { reason: 'idp_error' },
          );
        });
    }
    return this.#configuration;
  }
}
