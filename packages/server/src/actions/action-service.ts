import {
  CountersignError,
  actionDigest,
  assertTransition,
  isRequestingParty,
  reviewGroups,
  reviewerStanding,
  type ActionRecord,
  type ActionRequestInput,
  type ActionResult,
  type JsonValue,
  type Standing,
  type Status,
  type Vote,
} from '@countersign/core';
import type { Directory } from '../config/directory.js';
import type { Principal } from '../auth/principal.js';
import type { ActionFilter, ActionRepository } from '../storage/action-repository.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { GrantIssuer } from '../grants/grant-issuer.js';
import type { NotificationSink } from '../notify/notification.js';
import type { ActionEvents } from './action-events.js';
import { ActionWriter, type Actor } from './action-writer.js';
import { newActionRecord } from './new-action-record.js';
import {
  actionDecidedByPolicy,
  actionSubmitted,
  policyShadowDisagreed,
  type PolicyShadowDisagreedData,
} from '../audit/audit-events.js';
import { partiesOf } from './parties.js';
import { policyInputOf } from '../policy/evaluate-as.js';
import type { LifecycleTracer, TraceCarrier } from '../telemetry/lifecycle-tracer.js';
import type { StandingApprovals } from './standing-approvals.js';

export interface ActionServiceDeps {
  actions: ActionRepository;
  policy: PolicyStore;
  directory: Directory;
  events: ActionEvents;
  grants: GrantIssuer;
  notifications: NotificationSink;
  now?: () => number;
  onDecision?: (record: ActionRecord) => void;
  /** Every committed decision, whoever made it (action-writer.ts): metrics. */
  onDecided?: (record: ActionRecord) => void;
  /** A stored request the shadow policy decided otherwise (policy/shadow-policy.ts): metrics. */
  onShadowDisagreed?: (record: ActionRecord, d: PolicyShadowDisagreedData) => void;
  /** Spans of the lifecycle (telemetry/); absent when tracing is off. */
  tracing?: LifecycleTracer | undefined;
}

/**
 * The request lifecycle as an agent sees it: submit, read, wait, cancel, report. Who may do
 * what to a request is decided here, not in the HTTP layer. Votes: vote-service.ts; deadlines:
 * action-timers.ts.
 */
export class ActionService {
  readonly #now: () => number;
  readonly writer: ActionWriter;
  /** Standing approvals that may approve a request needing humans (useStanding). */
  #standing: StandingApprovals | undefined;

  constructor(private readonly deps: ActionServiceDeps) {
    this.#now = deps.now ?? Date.now;
    this.writer = new ActionWriter({
      actions: deps.actions,
      events: deps.events,
      grants: deps.grants,
      notifications: deps.notifications,
      now: this.#now,
      onDecided: deps.onDecided,
      onCommitted: deps.tracing && deps.tracing.committed.bind(deps.tracing),
    });
  }

  /** Lets standing approvals (built on this service's writer) approve submissions. */
  useStanding(standing: StandingApprovals): void {
    this.#standing = standing;
  }

  /**
   * Decides and stores a request. Idempotent per (agent, idempotency_key). `trace`: the
   * caller's W3C Trace Context headers, whose trace the submission's span joins.
   */
  async submit(
    agent: Principal,
    input: ActionRequestInput,
    trace?: TraceCarrier,
  ): Promise<{ record: ActionRecord; created: boolean }> {
    const span = this.deps.tracing?.startSubmit(trace, agent.id);
    if (!span) return this.#submit(agent, input, null);
    try {
      const out = await this.#submit(agent, input, span.traceParent ?? null);
      span.end(out.record, out.created);
      return out;
    } catch (e) {
      span.fail(e);
      throw e;
    }
  }

  async #submit(
    agent: Principal,
    input: ActionRequestInput,
    traceParent: string | null,
  ): Promise<{ record: ActionRecord; created: boolean }> {
    const owners = this.deps.directory.agent(agent.id)?.owners ?? [];
    const digest = actionDigest(input);
    // A callback URL is agent-supplied: refuse a host outside the allowlist before anything
    // is stored, rather than accept a request whose callback will never be sent (SSRF).
    if (input.callback_url !== undefined)
      this.deps.notifications.checkCallbackUrl(input.callback_url);
    if (input.idempotency_key !== undefined) {
      // A retry is answered from the store before the policy runs again: the first answer
      // stands even if the policy has changed since.
      const first = await this.deps.actions.findByIdempotencyKey(agent.id, input.idempotency_key);
      if (first) return this.replay(first, digest);
    }
    const policyInput = policyInputOf(agent.id, owners, input);
    const decision = this.deps.policy.current.evaluate(policyInput);
    if (
      decision.decision === 'require_approval' &&
      decision.approval?.justification_required &&
      !input.justification?.trim()
    ) {
      throw new CountersignError(
        'justification_required',
        `rule ${decision.rules.join(', ')} requires a justification for this action`,
        { rules: decision.rules },
      );
    }
    // The shadow sees the very input the live policy saw; what it says is recorded, never
    // enforced, and it never fails the request (compare() does not throw).
    const disagreement = this.deps.policy.shadow?.compare(policyInput, decision);
    const now = this.#now();
    const record = newActionRecord(agent.id, input, digest, decision, now);
    const status = record.status;
    if (status === 'approved') {
      // The digest above is of `input`, whose fields the record holds: computed once.
      record.grant = await this.deps.grants.issue(record, [], 'policy', {
        digestJustComputed: true,
      });
    }
    const groups = decision.approval ? reviewGroups(decision.approval) : [];
    // A standing approval that covers it (an in-memory lookup; the claim below decides).
    const standing = this.#standing?.match(agent.id, owners, policyInput, digest, decision, now);
    let use: number | undefined;
    const stored = await this.writer.write({ kind: 'agent', id: agent.id }, async (w) => {
      use = undefined;
      // With a candidate, the row must exist now: the standing approval moves it on.
      const result = await w.tx.insert(record, groups, traceParent, { immediate: !!standing });
      if (!result.created) return result;
      // What was asked (redact paths HMAC'd by the log), then what the policy said.
      w.audit(actionSubmitted(w.actor, record));
      w.audit(actionDecidedByPolicy(w.actor, record));
      if (disagreement) w.audit(policyShadowDisagreed(record.id, disagreement));
      const approved = standing && (await this.#standing?.claim(w, record, standing));
      if (approved) {
        use = approved.use;
        return { record: approved.record, created: true };
      }
      await w.changed(record, status === 'pending' ? 'action.requested' : 'action.decided', [], {
        audit: false,
      });
      return result;
    });
    if (!stored.created) return this.replay(stored.record, digest);
    if (standing && use !== undefined) this.#standing?.used(standing, use);
    this.deps.onDecision?.(stored.record);
    if (disagreement) this.deps.onShadowDisagreed?.(record, disagreement);
    return stored;
  }

  private replay(first: ActionRecord, digest: string): { record: ActionRecord; created: false } {
    if (first.digest !== digest) {
      // Same key, different action: replaying the first answer would let an agent believe a
      // different action was decided. Refuse, as Stripe does for mismatched idempotent retries.
      throw new CountersignError(
        'idempotency_conflict',
        'this idempotency_key was already used for a different action',
        { id: first.id },
      );
    }
    return { record: first, created: false };
  }

  /** Reads a request the caller is allowed to see; otherwise it does not exist for them. */
  async get(principal: Principal, id: string): Promise<ActionRecord> {
    const record = await this.deps.actions.findById(id);
    if (!record || !(await this.canRead(principal, record))) {
      throw new CountersignError('not_found', `no action ${id}`);
    }
    return record;
  }

  /**
   * The request `agentId` sent under an idempotency key, if `principal` may read it: the agent
   * itself or an admin (AuthZEN re-evaluation finds the request its access-request hint named).
   */
  async findByIdempotencyKey(
    principal: Principal,
    agentId: string,
    key: string,
  ): Promise<ActionRecord | undefined> {
    const own = principal.kind === 'agent' && principal.id === agentId;
    if (!own && !(principal.kind === 'user' && principal.admin)) return undefined;
    return this.deps.actions.findByIdempotencyKey(agentId, key);
  }

  /** Requester-only operations (wait, cancel, result) look the request up through this. */
  async getOwn(agent: Principal, id: string): Promise<ActionRecord> {
    const record = await this.deps.actions.findById(id);
    if (!record || agent.kind !== 'agent' || record.agent_id !== agent.id) {
      throw new CountersignError('not_found', `no action ${id}`);
    }
    return record;
  }

  votes(id: string): Promise<Vote[]> {
    return this.deps.actions.votes(id);
  }

  /**
   * Calls `listener` with the record on every change, from this process's event bus: changes
   * committed here, and those of other replicas, which the process's one watcher reads once
   * and publishes there (action-watcher.ts). No store query per waiter. The listener may see
   * the same record twice. Returns the unsubscribe function.
   */
  subscribe(id: string, listener: (r: ActionRecord) => void): () => void {
    return this.deps.events.subscribe(id, listener);
  }

  /** Resolves when the request is no longer pending, or with the pending record at the timeout. */
  async wait(
    agent: Principal,
    id: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ActionRecord> {
    const first = await this.getOwn(agent, id);
    if (first.status !== 'pending' || timeoutMs <= 0 || signal?.aborted) return first;
    return new Promise<ActionRecord>((resolve) => {
      let latest = first;
      let done = false;
      const finish = (r: ActionRecord) => {
        if (done) return;
        done = true;
        unsubscribe();
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const unsubscribe = this.subscribe(id, (r) => {
        latest = r;
        if (r.status !== 'pending') finish(r);
      });
      const deadline = setTimeout(() => finish(latest), timeoutMs);
      const onAbort = () => finish(latest);
      signal?.addEventListener('abort', onAbort, { once: true });
      // A change between the first read and the subscription was published before anyone
      // here listened: one re-read per wait, not per second.
      this.deps.actions.findById(id).then(
        (r) => r && r.status !== 'pending' && finish(r),
        () => undefined,
      );
    });
  }

  async cancel(agent: Principal, id: string, reason?: string): Promise<ActionRecord> {
    await this.getOwn(agent, id);
    return this.move({ kind: 'agent', id: agent.id }, id, 'cancelled', 'action.decided', {
      reason: reason ? `cancelled by the agent: ${reason}` : 'cancelled by the requesting agent',
    });
  }

  async reportResult(
    agent: Principal,
    id: string,
    outcome: 'completed' | 'failed',
    detail: JsonValue | undefined,
  ): Promise<ActionRecord> {
    await this.getOwn(agent, id);
    const result: ActionResult = { outcome, detail: detail ?? null, at: this.#now() };
    return this.move({ kind: 'agent', id: agent.id }, id, outcome, 'action.reported', { result });
  }

  /**
   * The inbox: requests this user could review, or everything for an admin. The cursor is the
   * last id scanned, so filtering out ineligible rows never ends pagination early.
   */
  async list(
    principal: Principal,
    filter: Omit<ActionFilter, 'review_groups'>,
  ): Promise<{ items: ActionRecord[]; next_cursor: string | null }> {
    if (principal.kind !== 'user') {
      throw new CountersignError('forbidden', 'only users have an inbox');
    }
    const rows = await this.deps.actions.list(
      principal.admin ? filter : { ...filter, review_groups: principal.groups },
    );
    const next_cursor = rows.length === filter.limit ? (rows.at(-1)?.id ?? null) : null;
    const items = principal.admin
      ? rows
      : rows.filter((r) => this.standing(principal, r) === 'eligible');
    return { items, next_cursor };
  }

  /** Whether this user could vote on the request now (the inbox shows only those). */
  standing(user: Principal, record: ActionRecord): Standing {
    return reviewerStanding(
      user,
      partiesOf(this.deps.directory, record),
      record.approval ? reviewGroups(record.approval, record.escalated_rules) : [],
    );
  }

  private async canRead(principal: Principal, record: ActionRecord): Promise<boolean> {
    if (principal.kind === 'agent') return record.agent_id === principal.id;
    if (principal.admin) return true;
    if (isRequestingParty(principal.id, partiesOf(this.deps.directory, record))) return true;
    const groups = await this.deps.actions.reviewGroups(record.id);
    return principal.groups.some((g) => groups.includes(g));
  }

  /** One state change: checked against the state machine, then compare-and-set in the store. */
  private move(
    actor: Actor,
    id: string,
    to: Status,
    event: 'action.decided' | 'action.reported',
    fields: { reason?: string; result?: ActionResult },
  ): Promise<ActionRecord> {
    return this.writer.write(
      actor,
      async (w) => {
        const current = await w.tx.lock(id);
        if (!current) throw new CountersignError('not_found', `no action ${id}`);
        assertTransition(current.status, to);
        const moved = await w.tx.transition(id, current.status, to, w.now, fields);
        if (!moved) throw new CountersignError('already_decided', 'the request changed meanwhile');
        await w.changed(moved, event);
        return moved;
      },
      id,
    );
  }
}
