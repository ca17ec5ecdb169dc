/**
 * @countersign/core: the model, the digest, the policy engine, the request lifecycle,
 * the audit log math and the typed errors. No HTTP, no database, no framework.
 * @module
 */
export * from './errors.js';
export * from './ids.js';
export * from './crypto/constant-time-equal.js';
export * from './model/json.js';
export * from './model/action-request.js';
export * from './model/action-grammar.js';
export * from './model/status.js';
export type * from './model/action-record.js';
export * from './digest/canonical-json.js';
export * from './digest/action-digest.js';
export * from './grants/index.js';
export * from './lifecycle/transitions.js';
export * from './lifecycle/reviewer-standing.js';
export * from './approvals/quorum.js';
export * from './approvals/channel-may-approve.js';
export * from './approvals/judge-vote.js';
export * from './approvals/standing-approval.js';
export * from './approvals/vote-evidence.js';
export * from './policy/index.js';
export * from './audit/index.js';
export * from './text/inert-text.js';
export * from './text/hostile-strings.js';
