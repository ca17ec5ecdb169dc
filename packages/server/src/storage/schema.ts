import type { Generated } from 'kysely';

/**
 * Tables as Kysely sees them. Times are epoch milliseconds (INTEGER / BIGINT); structured
 * values are JSON text, so both dialects store them the same way and the canonical bytes
 * an auditor sees are exactly what was written.
 */
export interface ActionsTable {
  id: string;
  agent_id: string;
  idempotency_key: string | null;
  action: string;
  resource: string;
  environment: string;
  params: string;
  justification: string | null;
  risk: string | null;
  on_behalf_of: string | null;
  context: string | null;
  callback_url: string | null;
  digest: string;
  status: string;
  decision: string;
  reason: string;
  rules: string;
  trace: string;
  approval: string | null;
  policy_version: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  decided_at: number | null;
  result_detail: string | null;
  result_at: number | null;
  /** Next escalation deadline while pending; null once every escalation has fired. */
  escalate_at: number | null;
  /** JSON list of the rule ids whose escalation has fired. */
  escalated_rules: string | null;
  /** 1 when a break-glass approval decided the request. */
  break_glass: number;
  grant_jti: string | null;
  /** The compact JWS: a bearer capability, returned only to the requesting agent. */
  grant_token: string | null;
  grant_expires_at: number | null;
  grant_redeemed_at: number | null;
  /** W3C traceparent of the submission's span (migration 0012); null when tracing was off. */
  trace_parent: string | null;
  /** The standing approval that approved the request (migration 0015), if one did. */
  standing_approval_id: string | null;
}

/** Standing approvals (migration 0015; docs/fatigue.md). JSON columns as text. */
export interface StandingApprovalsTable {
  id: string;
  /** `proposed`, `active` or `revoked` (expired and exhausted are computed when read). */
  state: string;
  source_action_id: string;
  agent_id: string;
  action: string;
  environment: string;
  rules: string;
  rule_fingerprints: string;
  approval: string;
  scope: string;
  max_uses: number;
  uses: number;
  expires_at: number;
  created_at: number;
  created_by: string;
  updated_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

export interface StandingApprovalEndorsersTable {
  standing_approval_id: string;
  user_id: string;
  groups: string;
  channel: string;
  at: number;
}

export interface VotesTable {
  id: string;
  action_id: string;
  user_id: string;
  vote: string;
  comment: string | null;
  channel: string;
  at: number;
  evidence: string | null;
  groups: string;
  /** `counted`, or `refused` with the refusal `code`. */
  outcome: string;
  code: string | null;
  break_glass: number;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  public_jwk: string;
  /** Absent when the private key is supplied from configuration instead of stored. */
  private_jwk: string | null;
  created_at: number;
  retired_at: number | null;
}

export interface OutboxTable {
  id: string;
  action_id: string | null;
  /** Where it goes: `webhook:<name>`, `callback`, `slack`, `teams`. */
  target: string;
  event: string;
  payload: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  delivered_at: number | null;
  /** Set when retries are exhausted. */
  failed_at: number | null;
  last_error: string | null;
}

/** Which groups may review a pending request: lets the inbox query filter in SQL. */
export interface ActionReviewGroupsTable {
  action_id: string;
  group_name: string;
}

export interface TokensTable {
  id: string;
  token_hash: string;
  principal_kind: string;
  principal_id: string;
  scopes: string;
  label: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface KvTable {
  key: string;
  value: string;
}

export interface AuditEntriesTable {
  idx: number;
  entry: string;
  /** Base64 SHA-256(0x00 ‖ entry). */
  leaf_hash: string;
  at: number;
  type: string;
  request_id: string | null;
}

export interface AuditNodesTable {
  level: number;
  idx: number;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  size: number;
  /** JSON array of base64 hashes: the right edge of the tree at `size`. */
  frontier: string;
  last_leaf: string | null;
}

/** Evidence committed with its change, waiting for the sequencer (PostgreSQL only). */
export interface AuditQueueTable {
  id: Generated<number>;
  at: number;
  type: string;
  request_id: string | null;
  /** JSON text of the entry's actor. */
  actor: string;
  /** Canonical JSON text of the entry's data, already redacted. */
  data: string;
}

export interface AuditCheckpointsTable {
  size: number;
  root_hash: string;
  note: string;
  created_at: number;
}

/** One witness's cosignature of the checkpoint of `size` (migration 0013, docs/witness.md). */
export interface AuditCosignaturesTable {
  witness: string;
  size: number;
  line: string;
  created_at: number;
}

export interface Database {
  actions: ActionsTable;
  action_review_groups: ActionReviewGroupsTable;
  tokens: TokensTable;
  kv: KvTable;
  votes: VotesTable;
  signing_keys: SigningKeysTable;
  outbox: OutboxTable;
  audit_entries: AuditEntriesTable;
  audit_nodes: AuditNodesTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_queue: AuditQueueTable;
  audit_cosignatures: AuditCosignaturesTable;
  standing_approvals: StandingApprovalsTable;
  standing_approval_endorsers: StandingApprovalEndorsersTable;
  /** Kysely's own migration bookkeeping is created by the Migrator. */
  _unused?: { id: Generated<number> };
}
