import {
  CountersignError,
  celBindings,
  judgeStandingEndorsement,
  judgeStandingProposal,
  newId,
  reviewGroups,
  reviewerStanding,
  standingInvalidation,
  standingQuorumMet,
  standingStatus,
  type ActionRecord,
  type PolicyDecision,
  type PolicyInput,
  type StandingApproval,
  type StandingAsk,
  type StandingStatus,
  type StandingWorld,
  type VoteChannel,
} from '@countersign/core';
import type { Directory } from '../config/directory.js';
import type { Principal } from '../auth/principal.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { ActionRepository } from '../storage/action-repository.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { StandingApprovalRepository } from '../storage/standing-approval-repository.js';
import type { ActionWriter, WriteScope } from './action-writer.js';
import { partiesOf } from './parties.js';
import { StandingIndex, type IndexEntry } from './standing-index.js';
import {
  standingActivated,
  standingEndorsed,
  standingProposed,
  standingRevoked,
  standingUsed,
  type Actor,
} from '../audit/audit-events.js';
import { SAFETY_POLL_MS } from './action-watcher.js';

export interface StandingDeps {
  repo: StandingApprovalRepository;
  actions: ActionRepository;
  writer: ActionWriter;
  policy: PolicyStore;
  directory: Directory;
  /** Other replicas' changes (PostgreSQL LISTEN/NOTIFY); silent on SQLite. */
  feed: ChangeFeed;
  /** This process's origin on the feed (ActionEvents.origin). */
  origin: string;
  now: () => number;
  /** Full reload of the index, a safety net for lost notifications (default 15 s). */
  refreshMs?: number | undefined;
  onError?: (e: unknown) => void;
}

export type StandingListStatus = StandingStatus | 'all';

/** What the vote path hands back when a standing approval was judged allowed. */
export type StandingProposal = ReturnType<StandingApprovals['judge']>;

/**
 * Standing approvals (docs/fatigue.md): created with an approval (VoteService), endorsed,
 * listed, revoked, and used at submission (ActionService). Every decision is core's
 * (approvals/standing-approval.ts); this service locks, stores, audits and keeps this
 * replica's index of active ones current (standing-index.ts).
 */
export class StandingApprovals {
  readonly index = new StandingIndex();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: StandingDeps) {}

  /** Revokes what the policy or directory no longer supports, loads the index, listens. */
  async start(): Promise<void> {
    await this.sweep({ kind: 'system', id: 'gateway-start' });
    this.deps.feed.onChange((ids) => {
      const ours = ids.filter((id) => id.startsWith('sa_'));
      if (ours.length > 0) void this.refresh(ours);
    });
    this.deps.feed.onResync(() => void this.reload());
    this.deps.policy.onReload((r) => {
      if (r.ok && r.changed) void this.sweep({ kind: 'system', id: 'policy-reload' });
    });
    this.#timer = setInterval(() => void this.reload(), this.deps.refreshMs ?? SAFETY_POLL_MS);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Reloads every live one from the store (resync, safety poll). */
  async reload(): Promise<void> {
    try {
      const since = this.index.version;
      this.index.reset(await this.deps.repo.live(this.deps.now()), this.deps.now(), since);
    } catch (e) {
      this.deps.onError?.(e);
    }
  }

  /** Re-reads the ones another replica changed. */
  async refresh(ids: readonly string[]): Promise<void> {
    try {
      const found = await this.deps.repo.findByIds(ids);
      const now = this.deps.now();
      for (const id of ids) this.index.remove(id);
      for (const sa of found) this.index.put(sa, now);
    } catch (e) {
      this.deps.onError?.(e);
    }
  }

  #world(owners: readonly string[], now: number): StandingWorld {
    const policy = this.deps.policy.current;
    const { directory } = this.deps;
    return {
      fingerprint: (rule) => policy.ruleFingerprint(rule),
      groupsOf: (user) => directory.user(user)?.groups,
      agentOwners: owners,
      now,
    };
  }

  /**
   * Revokes every live standing approval a rule change or the directory no longer supports
   * (by `policy` or `directory`), then reloads the index. Replicas sweeping at once revoke
   * each once (the conditional UPDATE), so each revocation has one audit entry.
   */
  async sweep(actor: Actor): Promise<number> {
    let revoked = 0;
    try {
      const live = await this.deps.repo.live(this.deps.now());
      const world = this.#world([], this.deps.now());
      for (const sa of live) {
        const why = standingInvalidation(sa, world);
        if (!why) continue;
        const done = await this.deps.writer.write(actor, async (w) => {
          if (!(await w.tx.standing.revoke(sa.id, why.by, why.reason, w.now))) return false;
          w.audit(standingRevoked(w.actor, sa, why.by, why.reason));
          w.tx.announce(this.deps.origin, [sa.id]);
          return true;
        });
        if (done) revoked++;
      }
      await this.reload();
    } catch (e) {
      this.deps.onError?.(e);
    }
    return revoked;
  }

  // ---- creation, with an approval (VoteService) ----

  /** Whether the approval `voter` is casting may also create this standing approval. */
  judge(
    record: ActionRecord,
    voter: Principal,
    ask: StandingAsk,
    channel: VoteChannel,
    now: number,
  ) {
    const owners = this.deps.directory.agent(record.agent_id)?.owners ?? [];
    return judgeStandingProposal({
      record,
      input: inputOf(record, owners),
      voter,
      channel,
      ask,
      policyChanged: record.policy_version !== this.deps.policy.current.version,
      now,
    });
  }

  /** Stores a judged proposal in the vote's transaction; the voter is its first endorser. */
  async create(
    w: WriteScope,
    record: ActionRecord,
    voter: Principal,
    channel: VoteChannel,
    verdict: Extract<StandingProposal, { ok: true }>,
  ): Promise<StandingApproval> {
    const approval = record.approval;
    if (approval === null) throw new CountersignError('internal', 'no requirement to stand for');
    const policy = this.deps.policy.current;
    const rules = [...record.rules].sort();
    const rule_fingerprints: Record<string, string> = {};
    for (const rule of rules) rule_fingerprints[rule] = policy.ruleFingerprint(rule) ?? '';
    const endorsers = [{ user: voter.id, groups: [...voter.groups], channel, at: w.now }];
    const sa: StandingApproval = {
      id: newId('sa', w.now),
      state: standingQuorumMet(approval, endorsers) ? 'active' : 'proposed',
      source_action_id: record.id,
      agent_id: record.agent_id,
      action: record.action,
      environment: record.environment,
      rules,
      rule_fingerprints,
      approval,
      scope: verdict.scope,
      max_uses: verdict.max_uses,
      uses: 0,
      expires_at: verdict.expires_at,
      created_at: w.now,
      created_by: voter.id,
      endorsers,
      revoked_at: null,
      revoked_by: null,
      revoke_reason: null,
    };
    await w.tx.standing.insert(sa);
    w.audit(standingProposed(w.actor, sa));
    if (sa.state === 'active') w.audit(standingActivated(w.actor, sa));
    w.tx.announce(this.deps.origin, [sa.id]);
    return sa;
  }

  /** Once the vote committed: this replica's index learns it at once. */
  committed(sa: StandingApproval): void {
    this.index.put(sa, this.deps.now());
  }

  // ---- use, at submission (ActionService) ----

  /** The standing approval that would approve this request, if any (no store query). */
  match(
    agentId: string,
    owners: readonly string[],
    input: PolicyInput,
    digest: string,
    decision: PolicyDecision,
    now: number,
  ): IndexEntry | undefined {
    if (this.index.size === 0 || decision.decision !== 'require_approval') return undefined;
    return this.index.match(
      {
        agent_id: agentId,
        action: input.action,
        environment: input.environment,
        digest,
        risk: input.risk,
        on_behalf_of: input.on_behalf_of,
      },
      decision.rules,
      () => celBindings(input),
      this.#world(owners, now),
    );
  }

  /**
   * Claims a use and approves `record` (stored pending in this transaction) with it. The
   * claim is the authority: if another submission took the last use, or another replica
   * revoked it, nothing happens and the request waits for humans.
   */
  async claim(
    w: WriteScope,
    record: ActionRecord,
    entry: IndexEntry,
  ): Promise<{ record: ActionRecord; use: number } | undefined> {
    const { sa } = entry;
    const use = await w.tx.standing.claimUse(sa.id, w.now);
    if (use === undefined) return undefined;
    const approvers = sa.endorsers.map((e) => e.user);
    w.audit(standingUsed(w.actor, record.id, sa, use));
    w.tx.announce(this.deps.origin, [sa.id]);
    const approved = await w.approve(
      record,
      approvers,
      'standing',
      `approved by standing approval ${sa.id} (${approvers.join(', ')})`,
      sa.id,
    );
    return approved && { record: approved, use };
  }

  /** After a committed use: the index's copy counts it. */
  used(entry: IndexEntry, use: number): void {
    const current = this.index.get(entry.sa.id);
    if (current)
      this.index.put({ ...current.sa, uses: Math.max(use, current.sa.uses) }, this.deps.now());
  }

  // ---- the API: list, show, endorse, revoke ----

  #visible(user: Principal, sa: StandingApproval): boolean {
    if (user.admin || user.auditor) return true;
    if (sa.endorsers.some((e) => e.user === user.id)) return true;
    const pool = reviewGroups(sa.approval);
    return user.groups.some((g) => pool.includes(g));
  }

  #user(principal: Principal): void {
    if (principal.kind !== 'user') {
      throw new CountersignError(
        'forbidden',
        'standing approvals are for people; this is an agent token',
      );
    }
  }

  async list(
    principal: Principal,
    filter: { status: StandingListStatus; agent?: string | undefined },
  ): Promise<StandingApproval[]> {
    this.#user(principal);
    const now = this.deps.now();
    const states =
      filter.status === 'revoked'
        ? (['revoked'] as const)
        : filter.status === 'all'
          ? undefined
          : (['proposed', 'active'] as const);
    const all = await this.deps.repo.list({ states, agent_id: filter.agent, limit: 500 });
    return all.filter(
      (sa) =>
        this.#visible(principal, sa) &&
        (filter.status === 'all' || standingStatus(sa, now) === filter.status),
    );
  }

  async get(principal: Principal, id: string): Promise<{ sa: StandingApproval; uses: string[] }> {
    this.#user(principal);
    const sa = await this.deps.repo.findById(id);
    if (!sa || !this.#visible(principal, sa)) {
      throw new CountersignError('not_found', `no standing approval ${id}`);
    }
    return { sa, uses: await this.deps.repo.uses(id) };
  }

  /** Adds `principal` as an endorser; active once the endorsers meet the quorum. */
  async endorse(principal: Principal, id: string, channel: VoteChannel): Promise<StandingApproval> {
    this.#user(principal);
    const current = await this.deps.repo.findById(id);
    if (!current) throw new CountersignError('not_found', `no standing approval ${id}`);
    const source = await this.deps.actions.findById(current.source_action_id);
    if (!source) throw new CountersignError('not_found', `no standing approval ${id}`);
    const outcome = await this.deps.writer.write(
      { kind: 'user', id: principal.id },
      async (w): Promise<{ refused: CountersignError } | { sa: StandingApproval }> => {
        const sa = await w.tx.standing.lock(id);
        if (!sa)
          return { refused: new CountersignError('not_found', `no standing approval ${id}`) };
        const verdict = judgeStandingEndorsement({
          sa,
          endorser: principal,
          channel,
          parties: partiesOf(this.deps.directory, source),
          now: w.now,
        });
        if (!verdict.ok) return { refused: new CountersignError(verdict.code, verdict.message) };
        const endorser = verdict.endorsers[verdict.endorsers.length - 1];
        if (!endorser || !(await w.tx.standing.addEndorser(id, endorser))) {
          const message = 'you already stand behind this standing approval';
          return { refused: new CountersignError('already_voted', message) };
        }
        let next: StandingApproval = { ...sa, endorsers: verdict.endorsers };
        w.audit(standingEndorsed(w.actor, next, principal.id, channel));
        if (verdict.activates && (await w.tx.standing.activate(id, w.now))) {
          next = { ...next, state: 'active' };
          w.audit(standingActivated(w.actor, next));
        }
        w.tx.announce(this.deps.origin, [id]);
        return { sa: next };
      },
    );
    if ('refused' in outcome) throw outcome.refused;
    this.index.put(outcome.sa, this.deps.now());
    return outcome.sa;
  }

  /**
   * Revokes in one call: an admin, any endorser, or any reviewer who could endorse it (not an
   * owner of its agent). Revoking a revoked one changes nothing and answers it as it is.
   */
  async revoke(principal: Principal, id: string, reason: string | null): Promise<StandingApproval> {
    this.#user(principal);
    const current = await this.deps.repo.findById(id);
    if (!current) throw new CountersignError('not_found', `no standing approval ${id}`);
    const source = await this.deps.actions.findById(current.source_action_id);
    const mayRevoke =
      principal.admin ||
      current.endorsers.some((e) => e.user === principal.id) ||
      (source !== undefined &&
        reviewerStanding(
          principal,
          partiesOf(this.deps.directory, source),
          reviewGroups(current.approval),
        ) === 'eligible');
    if (!mayRevoke) {
      throw new CountersignError(
        'forbidden',
        'only an admin, an endorser or a reviewer of its requests may revoke it',
      );
    }
    const sa = await this.deps.writer.write({ kind: 'user', id: principal.id }, async (w) => {
      const locked = await w.tx.standing.lock(id);
      if (!locked) return current;
      if (!(await w.tx.standing.revoke(id, principal.id, reason, w.now))) return locked;
      const revoked: StandingApproval = {
        ...locked,
        state: 'revoked',
        revoked_at: w.now,
        revoked_by: principal.id,
        revoke_reason: reason,
      };
      w.audit(standingRevoked(w.actor, revoked, principal.id, reason));
      w.tx.announce(this.deps.origin, [id]);
      return revoked;
    });
    this.index.remove(id);
    return sa;
  }
}

/** The request as the policy saw it (for a condition that must hold for its source). */
function inputOf(record: ActionRecord, owners: readonly string[]): PolicyInput {
  return {
    action: record.action,
    resource: record.resource,
    environment: record.environment,
    params: record.params,
    risk: record.risk ?? undefined,
    justification: record.justification ?? undefined,
    on_behalf_of: record.on_behalf_of ?? undefined,
    context: record.context ?? undefined,
    agent: { id: record.agent_id, owners },
  };
}
