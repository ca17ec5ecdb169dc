import { createHash } from 'node:crypto';
import {
  CountersignError,
  actionDigest,
  canonicalJson,
  constantTimeEqual,
  type ActionRecord,
  type JsonObject,
  type PolicyDecision,
} from '@countersign/core';
import type { ActionService } from '../actions/action-service.js';
import { authzenEvaluated, type AuditEvent } from '../audit/audit-events.js';
import type { Principal } from '../auth/principal.js';
import type { Directory } from '../config/directory.js';
import { evaluateAs, evaluatingAgent } from '../policy/evaluate-as.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { toCountersign, type Evaluation, type MappedEvaluation } from './authzen-mapping.js';
import type { Decision, Semantic } from './authzen-schemas.js';

export interface AuthZenPdpDeps {
  policy: PolicyStore;
  directory: Directory;
  actions: ActionService;
  publicUrl: string;
  now: () => number;
}

/**
 * The shortest window in which one evaluation names one approval request (see `decide`):
 * a policy timeout shorter than this still gets a window this long.
 */
const MIN_WINDOW_MS = 10 * 60_000;

/** How long a PEP waits before asking again about a pending request (profile `retry_after`). */
const PENDING_RETRY_SECONDS = 5;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Countersign as an AuthZEN 1.0 Policy Decision Point. It decides nothing itself: the policy
 * answers (policy/evaluate-as.ts, the dry run's own path), the human decision is the one
 * recorded by the native request lifecycle (ActionService, VoteService), and this class only
 * translates both into §5.5 Decisions. An evaluation never creates a request: a
 * `require_approval` answer is a denial carrying how to create one (docs/decisions.md).
 */
export class AuthZenPdp {
  constructor(private readonly deps: AuthZenPdpDeps) {}

  /**
   * Maps every evaluation and checks that the caller may ask about its subject, before any is
   * decided: a refusal (400, 403) changes nothing, and no malformed or forbidden item hides
   * behind a short circuit (§7.1.2.1).
   */
  prepare(principal: Principal, evaluations: readonly Evaluation[]): MappedEvaluation[] {
    return evaluations.map((ev) => {
      const mapped = toCountersign(ev);
      // The dry run's rule: an agent evaluates as itself only; an admin for any agent.
      evaluatingAgent(principal, mapped.agentId);
      return mapped;
    });
  }

  /** §7.1.2.1: in request order, stopping where the semantic says; `execute_all` runs all. */
  async decideAll(
    principal: Principal,
    evaluations: readonly MappedEvaluation[],
    semantic: Semantic,
  ): Promise<Decision[]> {
    const out: Decision[] = [];
    for (const evaluation of evaluations) {
      const d = await this.decide(principal, evaluation);
      out.push(d);
      if (semantic === 'deny_on_first_deny' && !d.decision) break;
      if (semantic === 'permit_on_first_permit' && d.decision) break;
    }
    return out;
  }

  /**
   * One §6 evaluation. The policy answers first, under the current policy (the profile's
   * re-evaluation: an approval never outlives a policy that now denies). `allow` is `true`,
   * `deny` is `false` with the reason; `require_approval` is `false` unless a request for this
   * exact action (same digest, same agent) was approved and its grant is still usable, in which
   * case it is `true` with the grant. That request is found either by the approval reference
   * the PEP presents (`context.approval.id`, the profile's lookup pattern) or, for the very
   * same evaluation, by the idempotency key this PDP told the PEP to submit it under.
   */
  async decide(principal: Principal, m: MappedEvaluation): Promise<Decision> {
    const now = this.deps.now();
    const policy = evaluateAs(this.deps.policy, this.deps.directory, m.agentId, m.input);
    const digest = actionDigest(m.input);
    const base: JsonObject = {
      digest,
      rules: policy.rules,
      policy_version: policy.policy_version,
      evaluated_at: iso(now),
    };
    if (policy.decision === 'allow') return { decision: true, context: base };
    if (policy.decision === 'deny' || !policy.approval) {
      return denial(base, 'policy_denied', policy.reason, 'none');
    }
    if (m.approval) return this.fromReference(principal, m, policy, base, now);

    // The same evaluation names the same request for a window at least as long as the
    // approval timeout: the current window's key, or a live request of the previous one.
    const windowMs = Math.max(policy.approval.timeout_ms, MIN_WINDOW_MS);
    const k = Math.floor(now / windowMs);
    const current = this.evaluationId(m, digest, windowMs, k);
    const found = await this.deps.actions.findByIdempotencyKey(
      principal,
      m.agentId,
      keyOf(current),
    );
    if (found && inScope(found, m, digest)) {
      return this.fromRecord(principal, found, base, now, (k + 1) * windowMs);
    }
    if (found) {
      // Submitted under this evaluation's key but for someone else (on_behalf_of decides who
      // may not approve): never an approval of this evaluation, and the key is taken.
      return denial(
        { ...base, evaluation_id: current },
        'out_of_scope',
        "the request submitted under this evaluation's key is for a different action or person",
        'retry',
        Math.ceil(((k + 1) * windowMs - now) / 1000),
      );
    }
    const previous = await this.deps.actions.findByIdempotencyKey(
      principal,
      m.agentId,
      keyOf(this.evaluationId(m, digest, windowMs, k - 1)),
    );
    if (previous && inScope(previous, m, digest) && live(previous, now)) {
      return this.fromRecord(principal, previous, base, now, (k + 1) * windowMs);
    }
    return this.requestable(principal, m, policy, base, current, (k + 1) * windowMs);
  }

  /** The profile's lookup pattern: the reference is verified, never trusted (§Completion). */
  private async fromReference(
    principal: Principal,
    m: MappedEvaluation,
    policy: PolicyDecision,
    base: JsonObject,
    now: number,
  ): Promise<Decision> {
    const ref = m.approval!;
    const record = await this.deps.actions.get(principal, ref.id).catch((e: unknown) => {
      if (e instanceof CountersignError && e.code === 'not_found') return undefined;
      throw e;
    });
    // Someone else's request, an unknown id, or a grant that is not the one issued: one
    // answer for all three, so a probe learns nothing about which.
    const forged =
      !record ||
      record.agent_id !== m.agentId ||
      (ref.state !== undefined &&
        (record.grant === null || !constantTimeEqual(ref.state, record.grant.token)));
    if (forged) {
      return denial(
        base,
        'approval_unverifiable',
        'the approval reference does not name an approval of this subject',
        'none',
      );
    }
    if (!inScope(record, m, base.digest as string)) {
      const windowMs = Math.max(policy.approval!.timeout_ms, MIN_WINDOW_MS);
      const k = Math.floor(now / windowMs);
      const id = this.evaluationId(m, base.digest as string, windowMs, k);
      const fresh = this.requestable(principal, m, policy, base, id, (k + 1) * windowMs);
      return withReason(
        fresh,
        'out_of_scope',
        'the approval was for a different action, or on behalf of someone else',
      );
    }
    return this.fromRecord(principal, record, base, now, undefined);
  }

  /** A request for this exact action exists: its state is the answer. */
  private fromRecord(
    principal: Principal,
    record: ActionRecord,
    base: JsonObject,
    now: number,
    windowEnd: number | undefined,
  ): Decision {
    const task = {
      id: record.id,
      status: record.status,
      status_endpoint: `${this.deps.publicUrl}/v1/actions/${record.id}`,
      ...(record.expires_at !== null ? { expires_at: iso(record.expires_at) } : {}),
    };
    const context = { ...base, task };
    // A spent answer stands until the window ends: the same action is not put to the
    // reviewers again on every evaluation.
    const spent = (reason: string, message: string): Decision =>
      windowEnd === undefined
        ? denial(context, reason, message, 'request')
        : denial(context, reason, message, 'retry', Math.ceil((windowEnd - now) / 1000));
    switch (record.status) {
      case 'pending':
        return denial(context, 'approval_pending', record.reason, 'retry', PENDING_RETRY_SECONDS);
      case 'approved': {
        const grant = record.grant;
        if (!grant || grant.redeemed_at !== null) {
          return spent('grant_used', 'the grant of this approval was redeemed');
        }
        if (grant.expires_at <= now) {
          return spent('approval_expired', 'the grant of this approval expired');
        }
        // The grant is a bearer capability: only the requesting agent receives it.
        const requester = principal.kind === 'agent' && principal.id === record.agent_id;
        return {
          decision: true,
          context: {
            ...base,
            task,
            approval: {
              id: record.id,
              ...(record.decided_at !== null ? { approved_at: iso(record.decided_at) } : {}),
              approved_until: iso(grant.expires_at),
            },
            ...(requester
              ? { grant: { token: grant.token, jti: grant.jti, expires_at: iso(grant.expires_at) } }
              : {}),
          },
        };
      }
      case 'denied':
        return spent('approval_denied', record.reason);
      case 'expired':
        return spent('approval_expired', record.reason);
      case 'cancelled':
        return spent('approval_cancelled', record.reason);
      case 'completed':
      case 'failed':
        return spent('grant_used', 'the approved action was already carried out');
    }
  }

  /**
   * The requestable denial (Access Request profile draft, "Requestable Denial Context"): where
   * and how to create the approval request, bound to the action digest, with the idempotency
   * key that makes submitting it twice create one request. Only the subject agent can submit
   * it, so an admin evaluating on its behalf gets the reason without the hint.
   */
  private requestable(
    principal: Principal,
    m: MappedEvaluation,
    policy: PolicyDecision,
    base: JsonObject,
    evaluationId: string,
    expiresAt: number,
  ): Decision {
    const context: JsonObject = { ...base, evaluation_id: evaluationId };
    if (principal.kind !== 'agent') {
      return denial(context, 'approval_required', policy.reason, 'none');
    }
    const body: JsonObject = {
      action: m.input.action,
      resource: m.input.resource,
      environment: m.input.environment,
      params: m.input.params,
      ...(m.input.justification !== undefined ? { justification: m.input.justification } : {}),
      ...(m.input.risk !== undefined ? { risk: m.input.risk } : {}),
      ...(m.input.on_behalf_of !== undefined ? { on_behalf_of: m.input.on_behalf_of } : {}),
      ...(m.input.context !== undefined ? { context: m.input.context } : {}),
      idempotency_key: keyOf(evaluationId),
    };
    context.access_request = {
      endpoint: `${this.deps.publicUrl}/v1/actions`,
      method: 'POST',
      body,
      expires_at: iso(expiresAt),
      binding: { digest: base.digest as string, evaluation_id: evaluationId },
      template: policy.rules.join(','),
      justification_required: policy.approval?.justification_required ?? false,
    };
    return denial(context, 'approval_required', policy.reason, 'request');
  }

  /**
   * Stable for the same subject, action (digest), on-behalf-of and window: the profile's
   * `evaluation_id`, and through `keyOf` the idempotency key of the request it leads to.
   */
  private evaluationId(m: MappedEvaluation, digest: string, windowMs: number, k: number): string {
    const material = canonicalJson({
      agent: m.agentId,
      digest,
      on_behalf_of: m.input.on_behalf_of ?? null,
      window_ms: windowMs,
      window: k,
    });
    return `eval_${createHash('sha256').update(material).digest('hex').slice(0, 32)}`;
  }
}

/**
 * The audit evidence of answered evaluations, one entry each: who asked, about which agent
 * and exact action, and what the PDP said. Recorded before the answer leaves (the routes).
 */
export function evidenceOf(
  principal: Principal,
  mapped: readonly MappedEvaluation[],
  decisions: readonly Decision[],
): AuditEvent[] {
  return decisions.map((d, i) => {
    const m = mapped[i];
    const context = (d.context ?? {}) as {
      digest?: string;
      reason?: string;
      rules?: string[];
      policy_version?: string;
      task?: { id: string };
    };
    return authzenEvaluated({ kind: principal.kind, id: principal.id }, context.task?.id, {
      agent: m.agentId,
      action: m.input.action,
      resource: m.input.resource,
      environment: m.input.environment,
      digest: context.digest ?? '',
      decision: d.decision,
      reason: d.decision ? null : (context.reason ?? null),
      rules: context.rules ?? [],
      policy_version: context.policy_version ?? '',
    });
  });
}

const keyOf = (evaluationId: string) => `authzen-${evaluationId}`;

/**
 * Whether a request answers this evaluation: the same agent, the exact action (digest), and the
 * same person it acts for, since that person is who may never approve it (the digest does not
 * cover `on_behalf_of`, and an agent could otherwise have it approved by the person it names).
 */
function inScope(record: ActionRecord, m: MappedEvaluation, digest: string): boolean {
  return (
    record.agent_id === m.agentId &&
    record.digest === digest &&
    record.on_behalf_of === (m.input.on_behalf_of ?? null)
  );
}

/** Still worth answering from: pending, or approved with an unused, unexpired grant. */
function live(record: ActionRecord, now: number): boolean {
  if (record.status === 'pending') return true;
  const grant = record.grant;
  return (
    record.status === 'approved' &&
    grant !== null &&
    grant.redeemed_at === null &&
    grant.expires_at > now
  );
}

/**
 * §5.5 `false` with the profile's machine-readable `reason`, a human-readable `message` and
 * `next_action` (request / retry / none).
 */
function denial(
  context: JsonObject,
  reason: string,
  message: string,
  next: 'request' | 'retry' | 'none',
  retryAfter?: number,
): Decision {
  return {
    decision: false,
    context: {
      ...context,
      reason,
      message,
      next_action: next,
      ...(retryAfter !== undefined ? { retry_after: retryAfter } : {}),
    },
  };
}

function withReason(d: Decision, reason: string, message: string): Decision {
  return { ...d, context: { ...d.context, reason, message } };
}
