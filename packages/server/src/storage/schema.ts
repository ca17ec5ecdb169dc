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

export interface Database {
  actions: ActionsTable;
  action_review_groups: ActionReviewGroupsTable;
  tokens: TokensTable;
  kv: KvTable;
  /** Kysely's own migration bookkeeping is created by the Migrator. */
  _unused?: { id: Generated<number> };
}
