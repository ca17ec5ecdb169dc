/**
 * What a grant says, as its JWT claims set. A target system reads these after checking the
 * signature; every field is covered by that signature.
 * @module
 */

/** The JOSE `typ` header of a grant (RFC 8725 §3.11: explicit typing, so no other JWT signed by
 * the same key can be passed off as a grant, nor a grant as some other token). */
export const GRANT_TYPE = 'countersign-grant+jwt';

/** The `aud` claim of every grant. */
export const GRANT_AUDIENCE = 'countersign';

/**
 * Why the request was approved: by a policy `allow`, by a human quorum, by break-glass, or by
 * a standing approval the same quorum gave ahead of time (docs/fatigue.md).
 */
export type GrantBasis = 'policy' | 'quorum' | 'break_glass' | 'standing';
export const GRANT_BASES: readonly GrantBasis[] = ['policy', 'quorum', 'break_glass', 'standing'];

export interface GrantClaims {
  /** The gateway's public URL. */
  iss: string;
  /** The agent the grant was issued to. */
  sub: string;
  aud: typeof GRANT_AUDIENCE;
  /** Unique per grant; the key redemption is recorded under. */
  jti: string;
  /** NumericDate (seconds, RFC 7519 §2). */
  iat: number;
  exp: number;
  request_id: string;
  action: string;
  resource: string;
  environment: string;
  /** `sha256:<hex>` of the canonical action: what the approval is bound to. */
  digest: string;
  /** User ids of the humans whose approvals counted (empty for a policy allow). */
  approvers: string[];
  basis: GrantBasis;
  policy_version: string;
}
