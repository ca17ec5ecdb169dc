import { errors, jwtVerify, type JWTPayload } from 'jose';
import { CountersignError } from '@countersign/core';
import type { OpenIdKeys } from './teams-openid-keys.js';

/** Why a request at /api/messages was not accepted as coming from Teams. */
export type TeamsAuthFailure =
  | 'missing'
  | 'malformed'
  | 'keys_unavailable'
  | 'unknown_key'
  | 'algorithm'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer'
  | 'audience'
  | 'claims'
  | 'service_url'
  | 'channel'
  | 'endorsement';

/** A token that passed every check that needs no activity. */
export interface VerifiedBotToken {
  claims: JWTPayload;
  /** The signing key's `endorsements`; undefined when the key lists none. */
  endorsements: readonly string[] | undefined;
}

export interface TeamsJwtOptions {
  /** The bot's Microsoft App ID: the only accepted audience. */
  appId: string;
  issuer: string;
  /** "Industry-standard clock-skew is 5 minutes." */
  clockToleranceSeconds?: number;
  now?: () => number;
}

// A Bot Framework token is ~1.5 KB; anything far larger is not one.
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;
const MAX_HEADER = 16 * 1024;

/**
 * Authenticates a request from the Bot Connector the way Microsoft specifies it, every step
 * ("Authenticate requests from the Bot Connector service to your bot",
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
 * a Bearer JWT, signed with a key from the published OpenID metadata using one of its
 * algorithms, issued by `https://api.botframework.com`, for this bot's app id, within its
 * validity (5 minutes of skew), whose `serviceurl` claim equals the activity's `serviceUrl`
 * and whose key is endorsed for the activity's channel. There is no switch to turn any of it
 * off ("Implementers should not expose a way to disable validation"): tests point the issuer
 * and metadata URL at a local key instead.
 *
 * Every failure throws `invalid_signature` (HTTP 401) with the reason in `extra.reason`. The
 * token does not cover the body: anyone holding a captured token could post another activity
 * with it until it expires, which is why TLS and the serviceUrl binding matter.
 */
export class TeamsJwtValidator {
  constructor(
    private readonly keys: OpenIdKeys,
    private readonly options: TeamsJwtOptions,
  ) {}

  /** Checks the `Authorization` header; the activity checks come after parsing the body. */
  async verify(authorization: string | undefined): Promise<VerifiedBotToken> {
    if (authorization === undefined || authorization === '') throw refused('missing');
    if (authorization.length > MAX_HEADER) throw refused('malformed');
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) throw refused('malformed');
    let keys;
    try {
      keys = await this.keys.get();
    } catch {
      // Fail closed: without the published keys nothing can be verified.
      throw refused('keys_unavailable');
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keys.jwks, {
        issuer: this.options.issuer,
        audience: this.options.appId,
        algorithms: keys.algorithms,
        clockTolerance: this.options.clockToleranceSeconds ?? 300,
        requiredClaims: ['exp'],
        ...(this.options.now ? { currentDate: new Date(this.options.now()) } : {}),
      });
      // Every Bot Connector key has a kid; endorsements are looked up by it.
      if (typeof protectedHeader.kid !== 'string') throw refused('unknown_key');
      return { claims: payload, endorsements: this.keys.endorsementsOf(protectedHeader.kid) };
    } catch (e) {
      throw e instanceof CountersignError ? e : refused(reasonOf(e));
    }
  }

  /**
   * Requirement 7 and the endorsement check: the token was issued for the service URL the
   * activity says to answer at, and its key is endorsed for the activity's channel
   * (`msteams`). Only Teams activities are accepted at all.
   */
  checkActivity(
    token: VerifiedBotToken,
    activity: { serviceUrl: string | undefined; channelId: string | undefined },
  ): void {
    if (activity.channelId !== 'msteams') throw refused('channel');
    if (token.endorsements !== undefined && !token.endorsements.includes(activity.channelId)) {
      throw refused('endorsement');
    }
    // The claim is `serviceurl` in the tokens (botframework-connector's ServiceUrlClaim), as
    // Microsoft's prose spells it `serviceUrl`: every spelling present must match.
    const claimed = Object.entries(token.claims)
      .filter(([name]) => name.toLowerCase() === 'serviceurl')
      .map(([, value]) => value);
    if (
      claimed.length === 0 ||
      activity.serviceUrl === undefined ||
      claimed.some((c) => c !== activity.serviceUrl)
    ) {
      throw refused('service_url');
    }
  }
}

function reasonOf(e: unknown): TeamsAuthFailure {
  if (e instanceof errors.JWTExpired) return 'expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'audience';
    if (e.claim === 'iss') return 'issuer';
    if (e.claim === 'nbf') return 'not_yet_valid';
    return 'claims';
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
    return 'unknown_key';
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) {
    return 'algorithm';
  }
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return 'keys_unavailable';
  return 'malformed';
}

const MESSAGES: Record<TeamsAuthFailure, string> = {
  missing: 'no Authorization header: requests to /api/messages come from the Bot Connector',
  malformed: 'the Authorization header does not carry a well-formed Bearer JWT',
  keys_unavailable: "the Bot Connector's signing keys could not be read; refusing (fail closed)",
  unknown_key: 'the token is signed with a key the Bot Connector does not publish',
  algorithm: 'the token uses an algorithm the OpenID metadata does not list',
  signature: 'the token signature does not verify',
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet',
  issuer: 'the token was not issued by the Bot Connector',
  audience: 'the token was not issued for this bot',
  claims: 'the token claims are invalid',
  service_url: "the token's serviceurl claim does not match the activity's serviceUrl",
  channel: 'only Microsoft Teams activities are accepted',
  endorsement: "the signing key is not endorsed for the activity's channel",
};

function refused(reason: TeamsAuthFailure): CountersignError {
  return new CountersignError('invalid_signature', MESSAGES[reason], { reason });
}
