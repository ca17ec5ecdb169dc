/**
 * The gateway's HTTP contract as TypeScript types, written by hand from docs/api.md and the
 * server's wire schemas (packages/server/src/http/schemas.ts, `ActionView`). The SDK imports
 * nothing from the server: an agent should not need the gateway's dependencies to ask it.
 * @module
 */

/** A JSON value, as it travels in `params`, `context` and result details. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Where a request is in its life: `pending` until decided, then final. */
export type ActionStatus =
  'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'completed' | 'failed';

/** What the policy said. */
export type PolicyDecision = 'allow' | 'deny' | 'require_approval';

/** A hint for reviewers; outside the digest. */
export type Risk = 'low' | 'medium' | 'high' | 'critical';

/**
 * What an agent asks to do: the body of `POST /v1/actions` without `idempotency_key` (the SDK
 * sets that itself, see {@link RequestOptions.idempotencyKey}). The approval is bound to the
 * digest of `{action, resource, environment, params}`; the other fields describe the request.
 */
export interface ActionSpec {
  /** Dotted action type, e.g. `db.export` (`[A-Za-z0-9_-]` segments, at most 200 characters). */
  action: string;
  /** URI-like resource name, e.g. `postgres://prod/customers`. */
  resource: string;
  /** Default `"default"`. */
  environment?: string;
  /** Default `{}`. Send integers beyond 2^53 as strings. */
  params?: JsonObject;
  justification?: string;
  risk?: Risk;
  /** The user the agent acts for: that user can never approve it. */
  on_behalf_of?: string;
  context?: JsonObject;
  callback_url?: string;
}

/** One rule's part in the decision. */
export interface RuleTrace {
  rule: string;
  outcome: string;
  effect: string;
  detail: string;
}

/** The approval a matching rule requires. */
export interface ApprovalRequirement {
  timeout_ms: number;
  on_timeout: string;
  justification_required: boolean;
  clauses: Array<{
    rule: string;
    from: string[];
    groups: Array<{ group: string; min: number }>;
    quorum: number;
  }>;
}

/** How far a pending request is from its quorum. */
export interface QuorumProgress {
  satisfied: boolean;
  clauses: Array<{
    rule: string;
    quorum: number;
    approvals: number;
    satisfied: boolean;
    missing: Array<{ group: string; need: number }>;
  }>;
}

/** A counted vote. */
export interface VoteView {
  user: string;
  vote: 'approve' | 'deny';
  comment: string | null;
  channel: string;
  at: string;
  break_glass: boolean;
}

/** The signed grant of an approved request (shown to the requesting agent only). */
export interface GrantView {
  /** Compact JWS; hand it to the system that performs the action. */
  token: string;
  jti: string;
  expires_at: string;
  redeemed_at: string | null;
}

/** A request as the API returns it (`GET /v1/actions/:id`, wait, submit). */
export interface ActionRecord {
  id: string;
  status: ActionStatus;
  decision: PolicyDecision;
  reason: string;
  /** One paragraph of plain text, ready to hand to a model. */
  message: string;
  rules: string[];
  digest: string;
  policy_version: string;
  agent: { id: string };
  action: string;
  resource: string;
  environment: string;
  params: JsonObject;
  justification: string | null;
  risk: string | null;
  on_behalf_of: string | null;
  context: JsonObject | null;
  callback_url: string | null;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  decided_at: string | null;
  approval: ApprovalRequirement | null;
  progress: QuorumProgress | null;
  escalated_rules: string[];
  break_glass: boolean;
  votes: VoteView[];
  grant: GrantView | null;
  explanation: RuleTrace[];
  result: { outcome: 'completed' | 'failed'; detail: JsonValue; at: string } | null;
}

/** An RFC 9457 problem, as every refusal is sent. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  request_id?: string;
  [extra: string]: unknown;
}

/** The claims of a grant (docs/grants.md, "Claims"). */
export interface GrantClaims {
  iss: string;
  sub: string;
  aud: 'countersign';
  jti: string;
  iat: number;
  exp: number;
  request_id: string;
  action: string;
  resource: string;
  environment: string;
  digest: string;
  approvers: string[];
  basis: 'policy' | 'quorum' | 'break_glass' | 'standing';
  policy_version: string;
}

/** An Ed25519 public key as the gateway publishes it (RFC 8037). */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid?: string;
  alg?: string;
  use?: string;
}

/** `GET /.well-known/jwks.json`. */
export interface Jwks {
  keys: Array<Ed25519Jwk | { kty: string; kid?: string; [k: string]: unknown }>;
}
