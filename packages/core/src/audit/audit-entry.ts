/**
 * One audit log entry. The leaf is SHA-256(0x00 ‖ UTF-8 of the RFC 8785 canonical JSON of this
 * object); the canonical text is stored, exported and served verbatim, so an auditor hashes
 * exactly the bytes we hashed.
 */
export interface AuditEntry {
  /** Format version. */
  v: 1;
  /** Position in the log (0-based): part of the hashed bytes, so reordering is detectable. */
  index: number;
  /**
   * Base64 leaf hash (RFC 6962 §2.1) of entry `index - 1`; null for entry 0. The Merkle root
   * proves that *something* changed; this chain lets a verifier name *which* entry: an edited
   * entry i no longer hashes to what entry i+1 says it should.
   */
  prev: string | null;
  /** RFC 3339, millisecond precision, UTC. */
  at: string;
  type: AuditEventType;
  /** Who caused it: an agent, a user (reviewer or admin), or the gateway itself (timers, delivery). */
  actor: { kind: 'agent' | 'user' | 'system' | 'anonymous'; id: string };
  /** The request this is about, if any. */
  request_id?: string;
  /** Event-specific fields; values under `redact` paths are replaced by `{"$hmac": "hmac-sha256:<hex>"}`. */
  data: Record<string, unknown>;
}

export type AuditEventType =
  // a request's life
  | 'action.submitted'
  | 'action.decided_by_policy'
  | 'action.notified'
  | 'action.vote_counted'
  | 'action.vote_refused'
  | 'action.escalated'
  | 'action.approved'
  | 'action.denied'
  | 'action.expired'
  | 'action.cancelled'
  | 'action.result_reported'
  | 'grant.issued'
  | 'grant.redeemed'
  // standing approvals (docs/fatigue.md): their life, and each request one approved
  | 'standing_approval.proposed'
  | 'standing_approval.endorsed'
  | 'standing_approval.activated'
  | 'standing_approval.used'
  | 'standing_approval.revoked'
  // administration
  | 'policy.loaded'
  | 'policy.reload_refused'
  // a shadow policy (docs/policy.md "Shadow policies") decided a request otherwise
  | 'policy.shadow_disagreed'
  | 'token.created'
  | 'token.revoked'
  | 'key.rotated'
  | 'config.changed'
  // the directory (users, groups, agents, admins) as configured: a baseline, then each change
  | 'directory.baseline'
  | 'directory.user_added'
  | 'directory.user_removed'
  | 'directory.group_added'
  | 'directory.group_removed'
  | 'directory.group_member_added'
  | 'directory.group_member_removed'
  | 'directory.agent_added'
  | 'directory.agent_removed'
  | 'directory.agent_owner_added'
  | 'directory.agent_owner_removed'
  | 'directory.admin_granted'
  | 'directory.admin_revoked'
  | 'directory.auditor_granted'
  | 'directory.auditor_revoked'
  // answers of the AuthZEN Policy Decision Point (docs/authzen.md)
  | 'authzen.evaluated'
  // refusals of API calls (4xx), as evidence of attempts
  | 'api.refused';

/**
 * The export directory that `countersign audit export --out DIR` writes and
 * `countersign audit verify DIR` reads:
 *
 *   DIR/entries.jsonl      one canonical entry per line, in index order, exactly the leaf bytes
 *                          (a line is the canonical JSON text; lines end with "\n", which is not hashed)
 *   DIR/checkpoint.txt     the latest signed checkpoint (C2SP signed note) covering every entry
 *   DIR/checkpoints/       older signed checkpoints, one file per tree size: `<size>.txt`
 *   DIR/log-key.pub        the verifier key (`<name>+<hash>+<base64>`) of the log's signer
 */
export const EXPORT_FILES = {
  entries: 'entries.jsonl',
  checkpoint: 'checkpoint.txt',
  checkpoints: 'checkpoints',
  key: 'log-key.pub',
} as const;
