import { decodeProtectedHeader, errors, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import {
  CountersignError,
  GRANT_AUDIENCE,
  GRANT_TYPE,
  actionDigest,
  assertGrantBinding,
  constantTimeEqual,
  newId,
  readGrantClaims,
  type ActionRecord,
  type ActionSpec,
  type GrantClaims,
  type GrantRef,
} from '@countersign/core';
import type { ApprovalBasis, GrantIssuer, IssueOptions } from './grant-issuer.js';
import type { GrantRepository, GrantState } from '../storage/grant-repository.js';
import type { KeyRing } from './key-ring.js';
import { signCompactJws } from './compact-jws.js';
import type { Ed25519Signer } from './ed25519-signer.js';
import { InThreadSigner } from './in-thread-signer.js';
import { grantRedeemed } from '../audit/audit-events.js';

/** A grant longer than this is not one of ours; refused before any parsing. */
export const MAX_GRANT_LENGTH = 16 * 1024;

/** What verify and redeem answer: the signed claims and whether the grant was used. */
export interface GrantCheck {
  valid: true;
  claims: GrantClaims;
  /** Epoch milliseconds of the (first and only) redemption. */
  redeemed_at: number | null;
}

export interface GrantServiceOptions {
  keys: KeyRing;
  grants: GrantRepository;
  /** The `iss` of every grant: the gateway's public URL. */
  issuer: string;
  ttlMs: number;
  now?: () => number;
  /** Told after each successful redemption (events); must not throw. */
  onRedeemed?: ((claims: GrantClaims, at: number) => void) | undefined;
  /** Makes the signatures (default: in-thread); closed by close(). */
  signer?: Ed25519Signer | undefined;
}

/**
 * Who redeems a grant, when they authenticated: an agent (it must be the grant's `sub`) or a
 * user token (a target system's own credential). Undefined: the grant alone, no credential.
 */
export interface Redeemer {
  kind: 'agent' | 'user';
  id: string;
}

const invalid = (why: string) => new CountersignError('invalid_signature', why);

/**
 * Issues, verifies and redeems grants: compact JWS (RFC 7515) signed with Ed25519 (EdDSA,
 * RFC 8037), bound to the digest of the exact approved action.
 */
export class GrantService implements GrantIssuer {
  readonly keys: KeyRing;
  readonly #now: () => number;
  readonly #signer: Ed25519Signer;

  constructor(private readonly options: GrantServiceOptions) {
    this.keys = options.keys;
    this.#now = options.now ?? Date.now;
    this.#signer = options.signer ?? new InThreadSigner();
  }

  /** Closes the signer (its worker thread). Grants issued afterwards are signed in-thread. */
  close(): Promise<void> {
    return this.#signer.close();
  }

  /**
   * Signs a grant for an approved request. Writes nothing: the caller stores the returned
   * GrantRef with the approval, in one transaction.
   */
  async issue(
    record: ActionRecord,
    approvers: readonly string[],
    basis: ApprovalBasis,
    options: IssueOptions = {},
  ): Promise<GrantRef> {
    // The grant vouches for the digest; recompute it rather than trust the stored one, so a
    // record whose params and digest disagree (a bug, a hand-edited row) is never signed.
    // A submission's digest was computed from these very fields a moment ago: once is enough.
    if (!options.digestJustComputed && !constantTimeEqual(actionDigest(record), record.digest)) {
      throw new CountersignError('internal', `request ${record.id}: digest does not match params`);
    }
    const key = await this.keys.signer();
    const now = this.#now();
    const iat = Math.floor(now / 1000);
    const exp = iat + Math.ceil(this.options.ttlMs / 1000);
    const claims: GrantClaims = {
      iss: this.options.issuer,
      sub: record.agent_id,
      aud: GRANT_AUDIENCE,
      // Time-ordered with 80 random bits (ids.ts): unguessable, and unique in the store.
      jti: newId('grt', now),
      iat,
      exp,
      request_id: record.id,
      action: record.action,
      resource: record.resource,
      environment: record.environment,
      digest: record.digest,
      approvers: [...approvers],
      basis,
      policy_version: record.policy_version,
    };
    const token = await signCompactJws(
      { alg: 'EdDSA', kid: key.kid, typ: GRANT_TYPE },
      claims,
      key.privateKey,
      this.#signer,
    );
    return { token, jti: claims.jti, expires_at: exp * 1000, redeemed_at: null };
  }

  /**
   * Checks a grant: signature by a published key, not expired, issued by this gateway for
   * grants, recorded in the store; with `expect`, also bound to exactly that action.
   * Reports whether it was redeemed; does not redeem it.
   */
  async verify(token: string, expect?: ActionSpec): Promise<GrantCheck> {
    const claims = await this.#authenticate(token);
    if (expect !== undefined) assertGrantBinding(claims, expect);
    const state = await this.#state(claims);
    return { valid: true, claims, redeemed_at: state.redeemed_at };
  }

  /**
   * Verifies, then uses the grant up: exactly one redemption ever succeeds; every other one,
   * concurrent or later, is `grant_used`. A caller that authenticated as an agent must be the
   * grant's subject (`not_subject`): a grant leaked to another agent cannot be spent by it
   * under its own name, and the refusal leaves the grant unused for its rightful agent.
   */
  async redeem(token: string, expect?: ActionSpec, by?: Redeemer): Promise<GrantCheck> {
    const check = await this.verify(token, expect);
    const { claims } = check;
    if (by?.kind === 'agent' && by.id !== claims.sub) {
      throw new CountersignError(
        'not_subject',
        'this grant was issued to another agent; an agent redeems only its own grants',
      );
    }
    if (check.redeemed_at !== null) throw used(check.redeemed_at);
    const at = this.#now();
    // Evidence of the redemption, written in its transaction (GrantRepository).
    const redeemed = await this.options.grants.markRedeemed(claims.jti, claims.request_id, at, [
      grantRedeemed(claims, at, by),
    ]);
    if (!redeemed) {
      // Someone else got there first, or the request moved on (reported its result) meanwhile.
      const state = await this.#state(claims);
      if (state.redeemed_at !== null) throw used(state.redeemed_at);
      if (state.expires_at !== null && state.expires_at <= at) {
        throw new CountersignError('grant_expired', 'the grant has expired');
      }
      throw new CountersignError(
        'grant_used',
        `the request is ${state.status}; its grant can no longer be redeemed`,
        { request_status: state.status },
      );
    }
    this.options.onRedeemed?.(claims, at);
    return { ...check, redeemed_at: at };
  }

  /** Signature, header, time and issuer checks; throws our codes only. */
  async #authenticate(token: string): Promise<GrantClaims> {
    // The token is attacker-controlled: bound its size, and let every parse failure become
    // invalid_signature rather than whatever the parser throws.
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_GRANT_LENGTH) {
      throw invalid('not a grant');
    }
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid('the grant is not a compact JWS');
    }
    // Pin the algorithm before choosing a key (RFC 8725 §3.1): `none` and HS256-with-the-
    // public-key never reach a verifier. jwtVerify's allow-list below says the same again.
    if (header.alg !== 'EdDSA' || header.typ !== GRANT_TYPE || typeof header.kid !== 'string') {
      throw invalid('the grant header is not {alg: EdDSA, typ: countersign-grant+jwt, kid}');
    }
    const key = await this.keys.verificationKey(header.kid);
    if (key === undefined)
      throw invalid('the grant is signed by a key this gateway does not publish');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        typ: GRANT_TYPE,
        audience: GRANT_AUDIENCE,
        issuer: this.options.issuer,
        currentDate: new Date(this.#now()),
        requiredClaims: ['iss', 'sub', 'aud', 'jti', 'iat', 'exp'],
      }));
    } catch (e) {
      // jose checks the signature before any claim, so only an authentic grant can be
      // reported as expired; a forged one is always invalid_signature.
      if (e instanceof errors.JWTExpired) {
        throw new CountersignError('grant_expired', 'the grant has expired', {
          expired_at:
            typeof e.payload.exp === 'number' ? new Date(e.payload.exp * 1000).toISOString() : null,
        });
      }
      if (e instanceof errors.JWTClaimValidationFailed) {
        throw invalid(`the grant is not valid here: ${e.message}`);
      }
      throw invalid('the grant signature does not verify');
    }
    return readGrantClaims(payload);
  }

  async #state(claims: GrantClaims): Promise<GrantState> {
    const state = await this.options.grants.state(claims.jti, claims.request_id);
    // Signed but never stored: the approval that would have stored it did not commit.
    if (state === undefined) throw new CountersignError('not_found', 'no such grant was issued');
    return state;
  }
}

function used(at: number): CountersignError {
  return new CountersignError('grant_used', 'the grant has already been redeemed', {
    redeemed_at: new Date(at).toISOString(),
  });
}
