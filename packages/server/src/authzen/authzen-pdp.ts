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
import {
  toCountersign,
  type ApprovalReference,
  type Evaluation,
  type MappedEvaluation,
} from './authzen-mapping.js';
import type { Decision, Semantic } from './authzen-schemas.js';

export interface AuthZenPdpDeps {
  policy: PolicyStore;
  directory: Directory;
  actions: ActionService;
  publicUrl: string;
  now: () => number;
}

/** One evaluation being answered: who asked, the mapped request and the policy's answer. */
interface Asked {
  principal: Principal;
  m: MappedEvaluation;
  policy: PolicyDecision;
  base: JsonObject;
  digest: string;
  now: number;
  /** The length of the window in which the same evaluation names the same request. */
  window: number;
}

/**
 * The shortest window in which one evaluation names one approval request (see `byKey`):
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
   * exact action (same agent, digest and on_behalf_of) was approved and its grant is still
   * usable, in which case it is `true` with the grant. That request is found by the approval
   * reference the PEP presents (`context.approval.id`, the profile's lookup pattern) or, for
   * the very same evaluation, by the idempotency key this PDP told the PEP to submit it under.
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
    const asked: Asked = {
      principal,
      m,
      policy,
      base,
      digest,
      now,
      window: Math.max(policy.approval.timeout_ms, MIN_WINDOW_MS),
    };
    return m.approval ? this.byReference(asked, m.approval) : this.byKey(asked);
  }

  /**
   * The same evaluation names the same request for a window at least as long as the approval
   * timeout: the current window's key, or a live request of the previous window's.
   */
  private async byKey(a: Asked): Promise<Decision> {
    const k = Math.floor(a.now / a.window);
    const windowEnd = (k + 1) * a.window;
    const current = this.evaluationId(a, k);
    const found = await this.deps.actions.findByIdempotencyKey(
      a.principal,
      a.m.agentId,
      keyOf(current),
    );
    if (found) {
      // A spent answer, or a request submitted under this key for someone else (the agent's
      // doing), stands until the window ends: the same action is not put to the reviewers
      // again on every evaluation.
      const refusal = inScope(found, a)
        ? spent(found, a.now)
        : ([
            'out_of_scope',
            "the request submitted under this evaluation's key is for a different action or person",
          ] as const);
      if (!refusal) return this.fromRecord(a, found);
      return denial(
        { ...a.base, evaluation_id: current, task: this.task(found) },
        refusal[0],
        refusal[1],
        'retry',
        Math.ceil((windowEnd - a.now) / 1000),
      );
    }
    const previous = await this.deps.actions.findByIdempotencyKey(
      a.principal,
      a.m.agentId,
      keyOf(this.evaluationId(a, k - 1)),
    );
    if (previous && inScope(previous, a) && !spent(previous, a.now)) {
      return this.fromRecord(a, previous);
    }
    return this.requestable(a, current, windowEnd);
  }

  /**
   * The profile's lookup pattern: the reference is verified, never trusted. A reference to
   * someone else's request, to an unknown one, or with a grant that is not the one issued is
   * `approval_unverifiable`; one that does not apply (another action or person) or is spent is
   * ignored, and the evaluation is answered as without it, with the reason why.
   */
  private async byReference(a: Asked, ref: ApprovalReference): Promise<Decision> {
    const record = await this.deps.actions.get(a.principal, ref.id).catch((e: unknown) => {
      if (e instanceof CountersignError && e.code === 'not_found') return undefined;
      throw e;
    });
    // One answer for all three, so a probe learns nothing about which.
    const forged =
      !record ||
      record.agent_id !== a.m.agentId ||
      (ref.state !== undefined &&
        (record.grant === null || !constantTimeEqual(ref.state, record.grant.token)));
    if (forged) {
      return denial(
        a.base,
        'approval_unverifiable',
        'the approval reference does not name an approval of this subject',
        'none',
      );
    }
    const refusal = inScope(record, a)
      ? spent(record, a.now)
      : (['out_of_scope', 'the approval was for a different action or person'] as const);
    if (!refusal) return this.fromRecord(a, record);
    const instead = await this.byKey(a);
    // A fresh offer says why the reference did not serve; a live request says what it is.
    const offered = (instead.context as { reason?: string } | undefined)?.reason;
    return offered === 'approval_required'
      ? { ...instead, context: { ...instead.context, reason: refusal[0], message: refusal[1] } }
      : instead;
  }

  private task(record: ActionRecord): JsonObject {
    return {
      id: record.id,
      status: record.status,
      status_endpoint: `${this.deps.publicUrl}/v1/actions/${record.id}`,
      ...(record.expires_at !== null ? { expires_at: iso(record.expires_at) } : {}),
    };
  }

  /** A live request for this exact action: pending (`false`, retry) or approved (`true`). */
  private fromRecord(a: Asked, record: ActionRecord): Decision {
    const task = this.task(record);
    const grant = record.grant;
    if (record.status !== 'approved' || !grant) {
      return denial(
        { ...a.base, task },
        'approval_pending',
        record.reason,
        'retry',
        PENDING_RETRY_SECONDS,
      );
    }
    // The grant is a bearer capability: only the requesting agent receives it.
    const requester = a.principal.kind === 'agent' && a.principal.id === record.agent_id;
    return {
      decision: true,
      context: {
        ...a.base,
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

  /**
   * The requestable denial (Access Request profile draft, "Requestable Denial Context"): where
   * and how to create the approval request, bound to the action digest, with the idempotency
   * key that makes submitting it twice create one request. Only the subject agent can submit
   * it, so an admin evaluating on its behalf gets the reason without the hint.
   */
  private requestable(a: Asked, evaluationId: string, expiresAt: number): Decision {
    const { m, policy } = a;
    const context: JsonObject = { ...a.base, evaluation_id: evaluationId };
    if (a.principal.kind !== 'agent') {
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
      binding: { digest: a.digest, evaluation_id: evaluationId },
      template: policy.rules.join(','),
      justification_required: policy.approval?.justification_required ?? false,
    };
    return denial(context, 'approval_required', policy.reason, 'request');
  }

  /**
   * Stable for the same subject, action (digest), on-behalf-of and window: the profile's
   * `evaluation_id`, and through `keyOf` the idempotency key of the request it leads to.
   */
  private evaluationId(a: Asked, k: number): string {
    const material = canonicalJson({
      agent: a.m.agentId,
      digest: a.digest,
      on_behalf_of: a.m.input.on_behalf_of ?? null,
      window_ms: a.window,
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
function inScope(record: ActionRecord, a: Asked): boolean {
  return (
    record.agent_id === a.m.agentId &&
    record.digest === a.digest &&
    record.on_behalf_of === (a.m.input.on_behalf_of ?? null)
  );
}

/**
 * Why a request can no longer permit (the profile's re-evaluation reasons), or undefined while
 * it is live: pending, or approved with an unused, unexpired grant.
 */
function spent(record: ActionRecord, now: number): readonly [string, string] | undefined {
  switch (record.status) {
    case 'pending':
      return undefined;
    case 'approved':
      if (!record.grant || record.grant.redeemed_at !== null) {
        return ['grant_used', 'the grant of this approval was redeemed'];
      }
      if (record.grant.expires_at <= now) {
        return ['approval_expired', 'the grant of this approval expired'];
      }
      return undefined;
    case 'denied':
      return ['approval_denied', record.reason];
    case 'expired':
      return ['approval_expired', record.reason];
    case 'cancelled':
      return ['approval_cancelled', record.reason];
    case 'completed':
    case 'failed':
      return ['grant_used', 'the approved action was already carried out'];
  }
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
