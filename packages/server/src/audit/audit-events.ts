import type {
  ActionRecord,
  AuditEntry,
  AuditEventType,
  ChangeKind,
  GrantBasis,
  GrantClaims,
  JsonObject,
  JsonValue,
  StandingApproval,
  Vote,
} from '@countersign/core';
import type {
  DirectoryChange,
  DirectoryChangeType,
  DirectorySnapshot,
} from '../config/directory-snapshot.js';

/**
 * What callers record in the audit log: one member per event type, keyed by `type`, each with
 * its own `data`. The log adds the index, the previous leaf hash and the time (audit-log.ts).
 * Build them with the constructors below, never inline: the fields of `data` are what offline
 * verification, the SOC 2 report and auditors read, so each entry's shape is decided here once.
 * The entry's bytes are the canonical JSON of the values (keys sorted, undefined members
 * omitted), so a constructor changes nothing an existing entry would hash to.
 */
export type AuditEvent =
  | ActionSubmitted
  | ActionDecidedByPolicy
  | ActionNotified
  | ActionVoteCounted
  | ActionVoteRefused
  | ActionEscalated
  | ActionDecided
  | ActionResultReported
  | GrantIssued
  | GrantRedeemed
  | StandingApprovalEvent
  | PolicyLoaded
  | PolicyReloadRefused
  | PolicyShadowDisagreed
  | TokenCreated
  | TokenRevoked
  | KeyRotated
  | ConfigChanged
  | AuthZenEvaluated
  | ApiRefused
  | DirectoryBaseline
  | DirectoryChanged;

/** Who caused an event: an agent, a user, the gateway itself, or an unauthenticated caller. */
export type Actor = AuditEntry['actor'];

interface Event<T extends AuditEventType, D extends Record<string, unknown>> {
  type: T;
  actor: Actor;
  /** The request this is about, if any. */
  request_id?: string | undefined;
  data: D;
  /** Entries of `action.submitted` carry request fields that the policy may ask to redact. */
  redact?: boolean;
}

// Each data shape is a type alias, not an interface: aliases are assignable to the log's
// `Record<string, unknown>` view of `data`.

export type SubmittedData = {
  action: string;
  resource: string;
  environment: string;
  params: JsonObject;
  justification: string | null;
  risk: ActionRecord['risk'];
  on_behalf_of: string | null;
  context: JsonObject | null;
  idempotency_key: string | null;
  digest: string;
};
export type ActionSubmitted = Event<'action.submitted', SubmittedData>;

export type DecidedByPolicyData = {
  decision: ActionRecord['decision'];
  status: ActionRecord['status'];
  rules: string[];
  reason: string;
  policy_version: string;
  expires_at: string | null;
  approval: ActionRecord['approval'];
  grant: { jti: string; expires_at: string } | null;
};
export type ActionDecidedByPolicy = Event<'action.decided_by_policy', DecidedByPolicyData>;

export type NotifiedData = {
  delivery: string;
  target: string;
  event: string;
  status: 'delivered' | 'retrying' | 'failed';
  attempt: number;
  error: string | undefined;
};
export type ActionNotified = Event<'action.notified', NotifiedData>;

export type VoteData = {
  vote: Vote['vote'];
  comment: string | null;
  channel: Vote['channel'];
  evidence: string | null;
  groups: string[];
  break_glass: boolean;
  /** A refused vote's refusal code. */
  code?: string;
};
export type ActionVoteCounted = Event<'action.vote_counted', VoteData>;
export type ActionVoteRefused = Event<'action.vote_refused', VoteData>;

export type EscalatedData = { status: string; reason: string; escalated_rules: string[] };
export type ActionEscalated = Event<'action.escalated', EscalatedData>;

/** The terminal statuses a decision entry is named after (`action.approved`, …). */
export type DecidedStatus = 'approved' | 'denied' | 'expired' | 'cancelled';
export type DecidedData = { status: string; reason: string };
export type ActionDecided = Event<`action.${DecidedStatus}`, DecidedData>;

export type ResultReportedData = {
  status: string;
  reason: string;
  outcome?: 'completed' | 'failed';
  detail?: JsonValue | null;
};
export type ActionResultReported = Event<'action.result_reported', ResultReportedData>;

export type GrantIssuedData = {
  jti: string;
  expires_at: string;
  approvers: string[];
  basis: GrantBasis;
  digest: string;
};
export type GrantIssued = Event<'grant.issued', GrantIssuedData>;

export type GrantRedeemedData = { jti: string; redeemed_at: string; digest: string };
export type GrantRedeemed = Event<'grant.redeemed', GrantRedeemedData>;

export type PolicyLoadedData = {
  version: string;
  file: string;
  rules: string[];
  /** Kept so reports redact what this policy redacted, even after it changes. */
  redact: string[];
  trigger: 'start' | 'reload';
};
export type PolicyLoaded = Event<'policy.loaded', PolicyLoadedData>;

export type PolicyReloadRefusedData = {
  file: string;
  kept_version: string;
  error: string | undefined;
};
export type PolicyReloadRefused = Event<'policy.reload_refused', PolicyReloadRefusedData>;

/** One side of a shadow comparison: what a policy decided and by which rules. */
export type ShadowSide = {
  decision: ActionRecord['decision'];
  rules: string[];
  policy_version: string;
};
/**
 * The shadow policy decided a request otherwise than the live one (docs/policy.md "Shadow
 * policies"). Evidence only: the live decision is the one enforced. `kind` is the change kind
 * of `countersign policy replay` (core policy/replay.ts), from live to shadow.
 */
export type PolicyShadowDisagreedData = {
  kind: ChangeKind;
  live: ShadowSide;
  shadow: ShadowSide;
};
export type PolicyShadowDisagreed = Event<'policy.shadow_disagreed', PolicyShadowDisagreedData>;

/**
 * A credential came into being: an API token, a web session (with how it was established)
 * or a one-time login link.
 */
export type TokenCreatedData = {
  token_id: string;
  principal: { kind: 'agent' | 'user'; id: string };
  label: string | null;
  expires_at: string | null;
  /** Web sessions: the groups the IdP asserted (already limited to the directory's). */
  groups_from_idp?: readonly string[];
} & SessionEvidence;
/** How a web session was established: the login link used, or the IdP's issuer and subject. */
export type SessionEvidence = {
  login_link?: string;
  idp?: { issuer: string; sub: string };
};
export type TokenCreated = Event<'token.created', TokenCreatedData>;

export type TokenRevokedData = { token_id: string; reason?: 'logout' };
export type TokenRevoked = Event<'token.revoked', TokenRevokedData>;

export type KeyRotatedData = { purpose: 'grants'; kid: string; retired: string | null };
export type KeyRotated = Event<'key.rotated', KeyRotatedData>;

export type ConfigChangedData = { accepted_with: '--accept-config-change'; changes: string[] };
export type ConfigChanged = Event<'config.changed', ConfigChangedData>;

/**
 * An answer of the AuthZEN PDP (docs/authzen.md). A PEP may enforce it without any request
 * being recorded, so the answer itself is the evidence. No params: the digest binds them.
 */
export type AuthZenEvaluatedData = {
  /** The subject: the agent the evaluation was about (the actor is who asked). */
  agent: string;
  action: string;
  resource: string;
  environment: string;
  digest: string;
  decision: boolean;
  /** The machine-readable reason of a `false` (`policy_denied`, `approval_required`, …). */
  reason: string | null;
  rules: string[];
  policy_version: string;
};
export type AuthZenEvaluated = Event<'authzen.evaluated', AuthZenEvaluatedData>;

/** An API call refused (4xx): through HTTP, or a chat click answered in the chat. */
export type ApiRefusedData =
  | { code: string; method: string; route: string; request_id: string }
  | {
      code: string;
      reason: string;
      channel: 'slack';
      slack_user: string | null;
      slack_team: string | null;
      evidence: string;
    }
  | {
      code: string;
      reason: string;
      channel: 'teams';
      route: string;
      teams_user: { id: string | null; aad_object_id: string | null; name: string | null };
      evidence: string;
    };
export type ApiRefused = Event<'api.refused', ApiRefusedData>;

const iso = (ms: number) => new Date(ms).toISOString();
/** `request_id` only when there is one: absent, not null, in the entry. */
const about = (requestId: string | null | undefined) =>
  requestId ? { request_id: requestId } : {};

/** What was asked; the fields a policy names in `redact` are HMAC'd by the log. */
export function actionSubmitted(actor: Actor, record: ActionRecord): ActionSubmitted {
  return {
    type: 'action.submitted',
    actor,
    request_id: record.id,
    redact: true,
    data: {
      action: record.action,
      resource: record.resource,
      environment: record.environment,
      params: record.params,
      justification: record.justification,
      risk: record.risk,
      on_behalf_of: record.on_behalf_of,
      context: record.context,
      idempotency_key: record.idempotency_key,
      digest: record.digest,
    },
  };
}

/** What the policy said: the outcome and, for a decision by policy, the grant's id and expiry. */
export function actionDecidedByPolicy(actor: Actor, record: ActionRecord): ActionDecidedByPolicy {
  return {
    type: 'action.decided_by_policy',
    actor,
    request_id: record.id,
    data: {
      decision: record.decision,
      status: record.status,
      rules: record.rules,
      reason: record.reason,
      policy_version: record.policy_version,
      expires_at: record.expires_at === null ? null : iso(record.expires_at),
      approval: record.approval,
      grant: record.grant
        ? { jti: record.grant.jti, expires_at: iso(record.grant.expires_at) }
        : null,
    },
  };
}

/** A settled delivery attempt (not one released by shutdown). */
export function actionNotified(outcome: {
  id: string;
  target: string;
  event: string;
  action_id: string | null;
  attempt: number;
  status: NotifiedData['status'];
  error?: string | undefined;
}): ActionNotified {
  return {
    type: 'action.notified',
    actor: { kind: 'system', id: 'notifier' },
    ...about(outcome.action_id),
    data: {
      delivery: outcome.id,
      target: outcome.target,
      event: outcome.event,
      status: outcome.status,
      attempt: outcome.attempt,
      error: outcome.error,
    },
  };
}

const voteData = (v: Vote): VoteData => ({
  vote: v.vote,
  comment: v.comment,
  channel: v.channel,
  evidence: v.evidence,
  groups: v.groups,
  break_glass: v.break_glass,
  ...(v.code ? { code: v.code } : {}),
});

export function actionVoteCounted(actor: Actor, vote: Vote): ActionVoteCounted {
  return { type: 'action.vote_counted', actor, request_id: vote.action_id, data: voteData(vote) };
}

/** A vote refused, with its code (it is stored too). */
export function actionVoteRefused(actor: Actor, vote: Vote): ActionVoteRefused {
  return { type: 'action.vote_refused', actor, request_id: vote.action_id, data: voteData(vote) };
}

export function actionEscalated(actor: Actor, record: ActionRecord): ActionEscalated {
  return {
    type: 'action.escalated',
    actor,
    request_id: record.id,
    data: { status: record.status, reason: record.reason, escalated_rules: record.escalated_rules },
  };
}

/** `action.approved`, `.denied`, `.expired` or `.cancelled`: named after the record's status. */
export function actionDecided(
  actor: Actor,
  record: ActionRecord & { status: DecidedStatus },
): ActionDecided {
  return {
    type: `action.${record.status}`,
    actor,
    request_id: record.id,
    data: { status: record.status, reason: record.reason },
  };
}

export function actionResultReported(actor: Actor, record: ActionRecord): ActionResultReported {
  return {
    type: 'action.result_reported',
    actor,
    request_id: record.id,
    data: {
      status: record.status,
      reason: record.reason,
      ...(record.result ? { outcome: record.result.outcome, detail: record.result.detail } : {}),
    },
  };
}

/** A grant signed for an approval (`record` is the approved request, with its grant). */
export function grantIssued(
  actor: Actor,
  record: ActionRecord & { grant: NonNullable<ActionRecord['grant']> },
  approvers: readonly string[],
  basis: GrantBasis,
): GrantIssued {
  return {
    type: 'grant.issued',
    actor,
    request_id: record.id,
    data: {
      jti: record.grant.jti,
      expires_at: iso(record.grant.expires_at),
      approvers: [...approvers],
      basis,
      digest: record.digest,
    },
  };
}

/** A grant used up; `by` is who authenticated to redeem it, if anyone. */
export function grantRedeemed(
  claims: GrantClaims,
  at: number,
  by: { kind: 'agent' | 'user'; id: string } | undefined,
): GrantRedeemed {
  return {
    type: 'grant.redeemed',
    actor: by ?? { kind: 'anonymous', id: 'grant-holder' },
    request_id: claims.request_id,
    data: { jti: claims.jti, redeemed_at: iso(at), digest: claims.digest },
  };
}

/** Which policy is in force, from which file, since when (at start and after each reload). */
export function policyLoaded(
  policy: { version: string; rules: readonly { id: string }[]; redact: readonly string[] },
  file: string,
  trigger: 'start' | 'reload',
): PolicyLoaded {
  return {
    type: 'policy.loaded',
    actor: { kind: 'system', id: trigger === 'start' ? 'gateway-start' : 'policy-watcher' },
    data: {
      version: policy.version,
      file,
      rules: policy.rules.map((r) => r.id),
      redact: [...policy.redact],
      trigger,
    },
  };
}

/** A policy edit that did not load: the last good version stays in force. */
export function policyReloadRefused(
  file: string,
  keptVersion: string,
  error: string | undefined,
): PolicyReloadRefused {
  return {
    type: 'policy.reload_refused',
    actor: { kind: 'system', id: 'policy-watcher' },
    data: { file, kept_version: keptVersion, error },
  };
}

/**
 * Recorded in the submission's transaction, with the request it is about. The gateway's
 * comparison, not the agent's act: a system actor.
 */
export function policyShadowDisagreed(
  requestId: string,
  data: PolicyShadowDisagreedData,
): PolicyShadowDisagreed {
  return {
    type: 'policy.shadow_disagreed',
    actor: { kind: 'system', id: 'shadow-policy' },
    request_id: requestId,
    data,
  };
}

export function tokenCreated(actor: Actor, data: TokenCreatedData): TokenCreated {
  return { type: 'token.created', actor, data };
}

export function tokenRevoked(actor: Actor, data: TokenRevokedData): TokenRevoked {
  return { type: 'token.revoked', actor, data };
}

/** A new grant signing key (`countersign keys rotate`). */
export function keyRotated(actor: Actor, kid: string, retired: string | null): KeyRotated {
  return { type: 'key.rotated', actor, data: { purpose: 'grants', kid, retired } };
}

/** What every replica must share was changed deliberately (`serve --accept-config-change`). */
export function configChanged(changes: string[]): ConfigChanged {
  return {
    type: 'config.changed',
    actor: { kind: 'system', id: 'gateway-start' },
    data: { accepted_with: '--accept-config-change', changes },
  };
}

export function apiRefused(
  actor: Actor,
  requestId: string | undefined,
  data: ApiRefusedData,
): ApiRefused {
  return { type: 'api.refused', actor, ...about(requestId), data };
}

/** A standing approval's scope and limits as the log records them (docs/fatigue.md). */
export type StandingData = {
  standing_approval: string;
  agent: string;
  action: string;
  environment: string;
  rules: string[];
  scope: JsonObject;
  max_uses: number;
  expires_at: string;
  endorsers: string[];
};
export type StandingUsedData = {
  standing_approval: string;
  use: number;
  max_uses: number;
  endorsers: string[];
};
export type StandingRevokedData = {
  standing_approval: string;
  by: string;
  reason: string | null;
};
export type StandingApprovalEvent =
  | Event<'standing_approval.proposed', StandingData>
  | Event<'standing_approval.endorsed', StandingData & { user: string; channel: string }>
  | Event<'standing_approval.activated', StandingData>
  | Event<'standing_approval.used', StandingUsedData>
  | Event<'standing_approval.revoked', StandingRevokedData>;

function standingData(sa: StandingApproval): StandingData {
  return {
    standing_approval: sa.id,
    agent: sa.agent_id,
    action: sa.action,
    environment: sa.environment,
    rules: sa.rules,
    scope: { ...sa.scope },
    max_uses: sa.max_uses,
    expires_at: new Date(sa.expires_at).toISOString(),
    endorsers: sa.endorsers.map((e) => e.user),
  };
}

/** Proposed with an approval of `sa.source_action_id` (the request it was created from). */
export function standingProposed(actor: Actor, sa: StandingApproval): StandingApprovalEvent {
  return {
    type: 'standing_approval.proposed',
    actor,
    request_id: sa.source_action_id,
    data: standingData(sa),
  };
}

export function standingEndorsed(
  actor: Actor,
  sa: StandingApproval,
  user: string,
  channel: string,
): StandingApprovalEvent {
  return {
    type: 'standing_approval.endorsed',
    actor,
    request_id: sa.source_action_id,
    data: { ...standingData(sa), user, channel },
  };
}

/** Its endorsers met the quorum: it approves matching requests from now on. */
export function standingActivated(actor: Actor, sa: StandingApproval): StandingApprovalEvent {
  return {
    type: 'standing_approval.activated',
    actor,
    request_id: sa.source_action_id,
    data: standingData(sa),
  };
}

/** It approved `requestId`: use `use` of `max_uses`. */
export function standingUsed(
  actor: Actor,
  requestId: string,
  sa: StandingApproval,
  use: number,
): StandingApprovalEvent {
  return {
    type: 'standing_approval.used',
    actor,
    request_id: requestId,
    data: {
      standing_approval: sa.id,
      use,
      max_uses: sa.max_uses,
      endorsers: sa.endorsers.map((e) => e.user),
    },
  };
}

/** Revoked by a user, or by the gateway (`policy`, `directory`). */
export function standingRevoked(
  actor: Actor,
  sa: StandingApproval,
  by: string,
  reason: string | null,
): StandingApprovalEvent {
  return {
    type: 'standing_approval.revoked',
    actor,
    request_id: sa.source_action_id,
    data: { standing_approval: sa.id, by, reason },
  };
}

/** The directory as first recorded: what later `directory.*` changes apply to. */
export type DirectoryBaselineData = { directory: DirectorySnapshot };
export type DirectoryBaseline = Event<'directory.baseline', DirectoryBaselineData>;

/** One change of the directory: the ids it names (user, group, agent: those that apply). */
export type DirectoryChangedData = { user?: string; group?: string; agent?: string };
export type DirectoryChanged = Event<DirectoryChangeType, DirectoryChangedData>;

/** The directory in force when there was no recorded one yet (the first start). */
export function directoryBaseline(snapshot: DirectorySnapshot): DirectoryBaseline {
  return {
    type: 'directory.baseline',
    actor: { kind: 'system', id: 'gateway-start' },
    data: { directory: snapshot },
  };
}

/** A user, group, membership, agent, agent owner or role that the configuration changed. */
export function directoryChanged(change: DirectoryChange): DirectoryChanged {
  const { type, ...ids } = change;
  return { type, actor: { kind: 'system', id: 'gateway-start' }, data: ids };
}

/**
 * One AuthZEN evaluation's answer; `requestId` when a request decided it. Redacted like a
 * submission: a policy that hides `resource` hides it here too.
 */
export function authzenEvaluated(
  actor: Actor,
  requestId: string | undefined,
  data: AuthZenEvaluatedData,
): AuthZenEvaluated {
  return { type: 'authzen.evaluated', actor, ...about(requestId), data, redact: true };
}
