/**
 * Standing approvals (issue 16, docs/fatigue.md): the same humans who could approve a request
 * approve "the same kind of action" ahead of time, for a bounded scope. Every rule about them
 * is decided here, once, for every channel: whether one may be proposed, endorsed, and whether
 * it covers a new request. Pure: the server locks, reads and stores.
 * @module
 */
import type { ActionRecord, Channel, VoteChannel } from '../model/action-record.js';
import type { Risk } from '../model/action-request.js';
import type {
  ApprovalClause,
  ApprovalRequirement,
  PolicyInput,
  StandingLimits,
} from '../policy/types.js';
import { CelCondition, celBindings, type CelBindings } from '../policy/cel.js';
import { STANDING_DEFAULTS } from '../policy/read-approval.js';
import {
  reviewGroups,
  reviewerStanding,
  type RequestParties,
  type Reviewer,
} from '../lifecycle/reviewer-standing.js';
import { quorumProgress } from './quorum.js';

/** What a standing approval approves: one exact action, or requests a CEL condition accepts. */
export type StandingScope =
  { kind: 'digest'; digest: string } | { kind: 'condition'; when: string };

/** One human who stands behind a standing approval (the proposer first). */
export interface StandingEndorser {
  user: string;
  /** Their groups when they endorsed. */
  groups: string[];
  channel: Channel;
  at: number;
}

/** Stored states; `expired` and `exhausted` are computed when read (standingStatus). */
export type StandingState = 'proposed' | 'active' | 'revoked';
export type StandingStatus = StandingState | 'expired' | 'exhausted';

/** A standing approval as stored (times in epoch milliseconds). */
export interface StandingApproval {
  id: string;
  state: StandingState;
  source_action_id: string;
  /** Always pinned: it never matches another agent, action or environment. */
  agent_id: string;
  action: string;
  environment: string;
  /** The source decision's rule ids, sorted: a request matches only with exactly these. */
  rules: string[];
  /** Each rule's fingerprint at creation: a changed or removed rule revokes it. */
  rule_fingerprints: Record<string, string>;
  /** The source request's requirement: the quorum the standing approval stands for. */
  approval: ApprovalRequirement;
  scope: StandingScope;
  max_uses: number;
  uses: number;
  expires_at: number;
  created_at: number;
  created_by: string;
  endorsers: StandingEndorser[];
  revoked_at: number | null;
  /** `policy`, `directory`, or the id of the user who revoked it. */
  revoked_by: string | null;
  revoke_reason: string | null;
}

/** What a reviewer asks for when approving: N more uses of this digest, or a condition. */
export type StandingAsk =
  | { kind: 'digest'; uses: number }
  | { kind: 'condition'; when: string; for_ms: number; max_uses?: number | undefined };

/** The longest CEL condition a standing approval may carry. */
export const STANDING_WHEN_MAX = 1024;

/**
 * A rule's limits for standing approvals, or null if it forbids them. A rule without a
 * `standing` block gets the defaults, except a `step_up: web` rule, which must allow them
 * explicitly (stepping up to the web inbox for every request is the point of that rule).
 */
export function standingLimits(clause: ApprovalClause): StandingLimits | null {
  if (clause.standing !== undefined) return clause.standing;
  return clause.step_up === 'web' ? null : STANDING_DEFAULTS;
}

/** The status a reader sees at `now`. */
export function standingStatus(
  sa: Pick<StandingApproval, 'state' | 'uses' | 'max_uses' | 'expires_at'>,
  now: number,
): StandingStatus {
  if (sa.state === 'revoked') return 'revoked';
  if (sa.uses >= sa.max_uses) return 'exhausted';
  if (sa.expires_at <= now) return 'expired';
  return sa.state;
}

export type StandingRefusalCode =
  | 'standing_not_allowed'
  | 'invalid_request'
  | 'already_decided'
  | 'request_expired'
  | 'self_approval_forbidden'
  | 'not_eligible'
  | 'step_up_required'
  | 'already_voted';

export type StandingRefusal = { ok: false; code: StandingRefusalCode; message: string };

const refuse = (code: StandingRefusalCode, message: string): StandingRefusal => ({
  ok: false,
  code,
  message,
});

/** A `when` compiled for a standing approval: parsed, names checked, at most 1024 characters. */
export function compileStandingCondition(
  when: string,
): { ok: true; condition: CelCondition } | StandingRefusal {
  if (when.trim() === '') return refuse('invalid_request', 'standing.when is empty');
  if (when.length > STANDING_WHEN_MAX) {
    return refuse(
      'invalid_request',
      `standing.when is longer than ${STANDING_WHEN_MAX} characters`,
    );
  }
  const compiled = CelCondition.compile(when);
  if (!compiled.ok) {
    const p = compiled.problems[0];
    return refuse(
      'invalid_request',
      `standing.when: ${p?.message ?? 'invalid'} (at character ${(p?.offset ?? 0) + 1})`,
    );
  }
  // The agent, action and environment are pinned anyway; a condition that reads neither
  // resource nor params (`true`, `agent.id == "x"`) would approve everything they do.
  const vars = compiled.condition.variables;
  if (!vars.has('resource') && !vars.has('params')) {
    return refuse(
      'invalid_request',
      'standing.when must constrain resource or params: the agent, action and environment are already pinned',
    );
  }
  return compiled;
}

export interface ProposalCase {
  /** The request being approved, as locked for the vote. */
  record: Pick<ActionRecord, 'approval' | 'risk' | 'digest' | 'decision'>;
  /** The same request as the policy saw it (the condition must hold for it). */
  input: PolicyInput;
  /** The approving human (judgeVote already counted the vote). */
  voter: Reviewer;
  channel: VoteChannel;
  ask: StandingAsk;
  /** The policy in force is not the one that decided the request. */
  policyChanged: boolean;
  now: number;
}

export type ProposalVerdict =
  { ok: true; scope: StandingScope; max_uses: number; expires_at: number } | StandingRefusal;

/**
 * Whether an approval may also create a standing approval of this scope. Every clause of the
 * request's requirement must allow it (`standing` not false, and `step_up: web` rules only
 * with an explicit block); `risk: critical` needs `critical: true` on every clause; a
 * `step_up: web` clause needs the web channel; duration and uses at most the smallest limits;
 * a condition must parse, name only policy variables and hold for this very request.
 * The vote itself is judged by judgeVote first; this only adds to a counted approval.
 */
export function judgeStandingProposal(c: ProposalCase): ProposalVerdict {
  const approval = c.record.approval;
  if (c.record.decision !== 'require_approval' || approval === null) {
    return refuse('standing_not_allowed', 'only a request that needs approval can stand for more');
  }
  if (c.policyChanged) {
    return refuse(
      'standing_not_allowed',
      'the policy changed since this request was decided: approve it without a standing approval',
    );
  }
  // Escalation groups may approve one late request, never stand for later ones.
  const pool = reviewGroups(approval);
  if (!c.voter.groups.some((g) => pool.includes(g))) {
    return refuse(
      'standing_not_allowed',
      'only the groups the rules name (not escalation groups) can create standing approvals',
    );
  }
  let maxMs = Infinity;
  let maxUses = Infinity;
  for (const clause of approval.clauses) {
    const limits = standingLimits(clause);
    if (limits === null) {
      return refuse(
        'standing_not_allowed',
        clause.step_up === 'web' && clause.standing === undefined
          ? `rule ${clause.rule} steps up to the web inbox and does not allow standing approvals`
          : `rule ${clause.rule} does not allow standing approvals`,
      );
    }
    if (c.record.risk === 'critical' && !limits.critical) {
      return refuse(
        'standing_not_allowed',
        `rule ${clause.rule} does not allow standing approvals of critical-risk requests`,
      );
    }
    if (clause.step_up === 'web' && c.channel !== 'web') {
      return refuse(
        'standing_not_allowed',
        `rule ${clause.rule} needs the web inbox (step_up: web) to create a standing approval`,
      );
    }
    maxMs = Math.min(maxMs, limits.max_ms);
    maxUses = Math.min(maxUses, limits.max_uses);
  }

  const { ask } = c;
  if (ask.kind === 'digest') {
    if (!Number.isInteger(ask.uses) || ask.uses < 1) {
      return refuse('invalid_request', 'standing.uses must be a whole number of at least 1');
    }
    if (ask.uses > maxUses) {
      return refuse('standing_not_allowed', `at most ${maxUses} uses are allowed by the policy`);
    }
    return {
      ok: true,
      scope: { kind: 'digest', digest: c.record.digest },
      max_uses: ask.uses,
      expires_at: c.now + maxMs,
    };
  }

  if (!(ask.for_ms > 0))
    return refuse('invalid_request', 'standing.for must be a positive duration');
  if (ask.for_ms > maxMs) {
    return refuse(
      'standing_not_allowed',
      `standing.for is longer than the policy allows (${Math.round(maxMs / 60_000)} minutes)`,
    );
  }
  const uses = ask.max_uses ?? maxUses;
  if (!Number.isInteger(uses) || uses < 1) {
    return refuse('invalid_request', 'standing.max_uses must be a whole number of at least 1');
  }
  if (uses > maxUses) {
    return refuse('standing_not_allowed', `at most ${maxUses} uses are allowed by the policy`);
  }
  const compiled = compileStandingCondition(ask.when);
  if (!compiled.ok) return compiled;
  const holds = compiled.condition.evaluate(celBindings(c.input));
  if (holds !== true) {
    return refuse(
      'invalid_request',
      typeof holds === 'object'
        ? `standing.when fails on this request: ${holds.error}`
        : 'standing.when is false for this request: a standing approval must cover the request it approves',
    );
  }
  return {
    ok: true,
    scope: { kind: 'condition', when: ask.when },
    max_uses: uses,
    expires_at: c.now + ask.for_ms,
  };
}

export interface EndorsementCase {
  sa: StandingApproval;
  endorser: Reviewer;
  channel: VoteChannel;
  /** The requesting side of the source request, with the agent's owners now. */
  parties: RequestParties;
  now: number;
}

export type EndorsementVerdict =
  { ok: true; endorsers: StandingEndorser[]; activates: boolean } | StandingRefusal;

/**
 * Whether a human may add their name to a proposed standing approval, and whether it then
 * becomes active: the same checks as a vote (separation of duties first, then a reviewing
 * group, the web channel for step-up rules, once per person), and active once the endorsers
 * meet the quorum the source request needed (each human counted once: quorumProgress).
 */
export function judgeStandingEndorsement(c: EndorsementCase): EndorsementVerdict {
  const status = standingStatus(c.sa, c.now);
  if (status === 'expired') return refuse('request_expired', 'the standing approval has expired');
  if (status !== 'proposed') {
    return refuse('already_decided', `the standing approval is already ${status}`);
  }
  const standing = reviewerStanding(c.endorser, c.parties, reviewGroups(c.sa.approval));
  if (standing === 'self_approval_forbidden') {
    return refuse(
      'self_approval_forbidden',
      'you own its agent or its requests act for you: you cannot stand behind them',
    );
  }
  if (standing === 'not_eligible') {
    return refuse('not_eligible', 'you are not in a group that reviews these requests');
  }
  if (c.sa.approval.clauses.some((cl) => cl.step_up === 'web') && c.channel !== 'web') {
    return refuse(
      'step_up_required',
      'a rule of these requests needs the web inbox (step_up: web) to endorse',
    );
  }
  if (c.sa.endorsers.some((e) => e.user === c.endorser.id)) {
    return refuse('already_voted', 'you already stand behind this standing approval');
  }
  const endorsers = [
    ...c.sa.endorsers,
    { user: c.endorser.id, groups: [...c.endorser.groups], channel: c.channel, at: c.now },
  ];
  return { ok: true, endorsers, activates: standingQuorumMet(c.sa.approval, endorsers) };
}

/** Whether these endorsers (with these groups) meet the requirement (escalation not counted). */
export function standingQuorumMet(
  approval: ApprovalRequirement,
  endorsers: ReadonlyArray<{ user: string; groups: readonly string[] }>,
): boolean {
  // Plain pools (no group minimums, endorsers distinct): a count per clause, no allocation.
  // The same answer as quorumProgress, which decides every other case.
  const plain =
    approval.clauses.every((cl) => cl.groups.every((m) => m.min === 0)) &&
    endorsers.every((e, i) => endorsers.findIndex((o) => o.user === e.user) === i);
  if (!plain) return quorumProgress(approval, endorsers).satisfied;
  for (const cl of approval.clauses) {
    let n = 0;
    for (const e of endorsers) {
      if (e.groups.some((g) => cl.from.includes(g) || cl.groups.some((m) => m.group === g))) n++;
    }
    if (n < cl.quorum) return false;
  }
  return true;
}

/** A new request, as the standing check sees it. */
export interface CoveredRequest {
  agent_id: string;
  action: string;
  environment: string;
  digest: string;
  risk: Risk | null | undefined;
  on_behalf_of: string | null | undefined;
}

/** What the standing check reads of the world now. */
export interface StandingWorld {
  /** The live policy's fingerprint of a rule (undefined: the rule is gone). */
  fingerprint(rule: string): string | undefined;
  /** A user's groups in the directory now; undefined if they are not in it. */
  groupsOf(user: string): readonly string[] | undefined;
  /** The requesting agent's owners now. */
  agentOwners: readonly string[];
  now: number;
}

export interface CoverCase {
  sa: StandingApproval;
  /** The compiled `when` of a condition scope (compiled once when the approval was loaded). */
  condition?: CelCondition | undefined;
  /** `reviewGroups(sa.approval)`, if the caller keeps it (it never changes for one approval). */
  pool?: readonly string[] | undefined;
  request: CoveredRequest;
  /** The live decision's rule ids (it must be require_approval). */
  rules: readonly string[];
  /** The request's CEL variables, built only if a condition has to be evaluated. */
  bindings: () => CelBindings;
  world: StandingWorld;
}

/**
 * Whether a standing approval approves this request now. Everything must hold, or the
 * request waits for humans as usual: active, not expired, uses left, the same agent, action
 * and environment, exactly the same rules with unchanged fingerprints, the scope (the same
 * digest, or the condition true; an error is no match), critical risk only where every rule
 * allows it, and every endorser still in the directory, in a reviewing group, not a party of
 * this request (on_behalf_of), with the quorum met over their groups now.
 */
export function standingCovers(c: CoverCase): boolean {
  const { sa, request: r, world } = c;
  if (standingStatus(sa, world.now) !== 'active') return false;
  if (sa.agent_id !== r.agent_id || sa.action !== r.action || sa.environment !== r.environment) {
    return false;
  }
  if (sa.scope.kind === 'digest' && sa.scope.digest !== r.digest) return false;
  if (c.rules.length !== sa.rules.length || !c.rules.every((id) => sa.rules.includes(id))) {
    return false;
  }
  for (const rule of sa.rules) {
    if (world.fingerprint(rule) !== sa.rule_fingerprints[rule]) return false;
  }
  if (r.risk === 'critical' && !sa.approval.clauses.every((cl) => standingLimits(cl)?.critical)) {
    return false;
  }
  // The condition before the people: most requests a condition sees are outside its scope.
  if (sa.scope.kind === 'condition') {
    const condition = c.condition ?? compileOrUndefined(sa.scope.when);
    if (condition === undefined || condition.evaluate(c.bindings()) !== true) return false;
  }
  const parties: RequestParties = {
    agent_id: r.agent_id,
    agent_owners: world.agentOwners,
    on_behalf_of: r.on_behalf_of ?? null,
  };
  const pool = c.pool ?? reviewGroups(sa.approval);
  const now: Array<{ user: string; groups: readonly string[] }> = [];
  for (const e of sa.endorsers) {
    const groups = world.groupsOf(e.user);
    if (groups === undefined) return false;
    if (reviewerStanding({ id: e.user, groups }, parties, pool) !== 'eligible') return false;
    now.push({ user: e.user, groups });
  }
  if (!standingQuorumMet(sa.approval, now)) return false;
  return true;
}

function compileOrUndefined(when: string): CelCondition | undefined {
  const compiled = compileStandingCondition(when);
  return compiled.ok ? compiled.condition : undefined;
}

/**
 * Why a standing approval must be revoked now, if it must: a rule of it changed or is gone
 * from the policy (`policy`), or an endorser left the directory or lost every reviewing group
 * (`directory`). Checked on every policy reload and at start; standingCovers refuses the same
 * cases lazily in between.
 */
export function standingInvalidation(
  sa: Pick<StandingApproval, 'rules' | 'rule_fingerprints' | 'endorsers' | 'approval'>,
  world: Pick<StandingWorld, 'fingerprint' | 'groupsOf'>,
): { by: 'policy' | 'directory'; reason: string } | undefined {
  for (const rule of sa.rules) {
    const fp = world.fingerprint(rule);
    if (fp === undefined)
      return { by: 'policy', reason: `rule ${rule} is no longer in the policy` };
    if (fp !== sa.rule_fingerprints[rule]) {
      return { by: 'policy', reason: `rule ${rule} changed in the policy` };
    }
  }
  const pool = reviewGroups(sa.approval);
  for (const e of sa.endorsers) {
    const groups = world.groupsOf(e.user);
    if (groups === undefined) {
      return { by: 'directory', reason: `${e.user} is no longer in the directory` };
    }
    if (!groups.some((g) => pool.includes(g))) {
      return {
        by: 'directory',
        reason: `${e.user} is no longer in a group that reviews these requests`,
      };
    }
  }
  return undefined;
}
