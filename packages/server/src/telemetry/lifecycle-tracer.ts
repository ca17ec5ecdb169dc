import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { CountersignError, type ActionRecord, type GrantClaims } from '@countersign/core';
import type { AuditEvent } from '../audit/audit-events.js';
import { TRACER_NAME } from './tracing-from-env.js';

/** Incoming request headers: `traceparent` and `tracestate` are read (W3C Trace Context §3). */
export type TraceCarrier = Record<string, string | string[] | undefined>;

/** Span names: docs/opentelemetry.md lists them with their attributes. */
export const SPAN = {
  submit: 'countersign.request',
  wait: 'countersign.approval.wait',
  vote: 'countersign.vote',
  escalation: 'countersign.escalation',
  grantIssue: 'countersign.grant.issue',
  grantRedeem: 'countersign.grant.redeem',
  result: 'countersign.result',
} as const;

/** One submission's span, open while the gateway decides and stores the request. */
export interface SubmitTrace {
  /** The span's W3C `traceparent`, stored with the request (migration 0012). */
  readonly traceParent: string | undefined;
  /** Ends the span with the policy's decision; a stored request's later spans join its trace. */
  end(record: ActionRecord, created: boolean): void;
  /** Ends the span as failed: the stable error code only, never a message. */
  fail(error: unknown): void;
}

export interface LifecycleTracerDeps {
  provider: TracerProvider;
  /** The stored submission contexts of requests (ActionRepository.traceParents). */
  traceParents(ids: readonly string[]): Promise<Map<string, string>>;
  now: () => number;
  onError: (e: unknown) => void;
}

/**
 * Agent-supplied identifiers (action, resource, environment) are bounded before they become
 * attributes; free text (params, justification, comments, reasons) never does.
 */
const MAX_IDENTIFIER = 256;
const bounded = (s: string) => (s.length > MAX_IDENTIFIER ? s.slice(0, MAX_IDENTIFIER) : s);
/** Contexts kept in memory so the spans that follow a submission here need no query. */
const CACHE_SIZE = 10_000;

const at = (ms: number) => new Date(ms);

/**
 * The spans of a request's lifecycle. The submission is a server span in the agent's trace
 * (its `traceparent` header, W3C Trace Context §3.2, is the parent) whose context is stored
 * with the request; everything later (votes, escalation, the decision, the grant, its
 * redemption, the reported result) happens in other HTTP calls, timers or replicas, hours
 * later, and is a child of that stored context. The wait for humans is one span from the
 * submission to the decision, times from the request's own clock. Spans are made from what a
 * committed write recorded as audit evidence, after the commit: a rolled-back change has none.
 */
export class LifecycleTracer {
  readonly #tracer: Tracer;
  readonly #propagator = new W3CTraceContextPropagator();
  readonly #contexts = new Map<string, string>();
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly deps: LifecycleTracerDeps) {
    this.#tracer = deps.provider.getTracer(TRACER_NAME);
  }

  startSubmit(carrier: TraceCarrier | undefined, agentId: string): SubmitTrace {
    const parent = carrier
      ? this.#propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)
      : ROOT_CONTEXT;
    const span = this.#tracer.startSpan(
      SPAN.submit,
      {
        kind: SpanKind.SERVER,
        startTime: at(this.deps.now()),
        attributes: { 'countersign.agent.id': agentId },
      },
      parent,
    );
    const own = trace.setSpan(ROOT_CONTEXT, span);
    const traceParent = this.#serialise(own);
    return {
      traceParent,
      end: (record, created) => {
        span.setAttributes({
          'countersign.request.id': record.id,
          'countersign.action': bounded(record.action),
          'countersign.resource': bounded(record.resource),
          'countersign.environment': bounded(record.environment),
          'countersign.decision': record.decision,
          'countersign.status': record.status,
          'countersign.rule_ids': record.rules,
          'countersign.policy.version': record.policy_version,
          'countersign.idempotent_replay': !created,
          ...(record.risk ? { 'countersign.risk': record.risk } : {}),
        });
        const end = at(this.deps.now());
        if (created && traceParent) this.#remember(record.id, traceParent);
        if (created && record.grant) {
          // Allowed by policy: the grant was signed during the submission.
          this.#tracer
            .startSpan(
              SPAN.grantIssue,
              {
                startTime: end,
                attributes: grantAttributes(record.id, record.grant.jti, 'policy', 0),
              },
              own,
            )
            .end(end);
        }
        span.end(end);
      },
      fail: (error) => {
        const code = error instanceof CountersignError ? error.code : 'internal';
        span.setAttribute('error.type', code);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end(at(this.deps.now()));
      },
    };
  }

  /**
   * What one committed write recorded (actions/action-writer.ts): `changes` are the records it
   * changed, `writtenAt` its clock reading. Never throws; the spans are made after a lookup of
   * the stored contexts this replica does not hold.
   */
  committed(
    evidence: readonly AuditEvent[],
    changes: readonly ActionRecord[],
    writtenAt: number,
  ): void {
    const spans = evidence.flatMap((e) => this.#spanOf(e, changes, writtenAt));
    if (spans.length > 0) this.#emit(spans);
  }

  /** A grant was redeemed (GrantService `onRedeemed`). */
  redeemed(claims: GrantClaims, redeemedAt: number): void {
    this.#emit([
      {
        name: SPAN.grantRedeem,
        requestId: claims.request_id,
        start: redeemedAt,
        attributes: {
          'countersign.request.id': claims.request_id,
          'countersign.grant.id': claims.jti,
        },
      },
    ]);
  }

  /** Waits for the spans still looking up their context (before the store closes). */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #spanOf(e: AuditEvent, changes: readonly ActionRecord[], writtenAt: number): PlannedSpan[] {
    const requestId = e.request_id;
    if (!requestId) return [];
    const base = { 'countersign.request.id': requestId };
    switch (e.type) {
      case 'action.vote_counted':
      case 'action.vote_refused':
        return [
          {
            name: SPAN.vote,
            requestId,
            start: writtenAt,
            attributes: {
              ...base,
              'countersign.vote.approver': e.actor.id,
              'countersign.vote.channel': e.data.channel,
              'countersign.vote.choice': e.data.vote,
              'countersign.vote.outcome': e.type === 'action.vote_counted' ? 'counted' : 'refused',
              'countersign.vote.break_glass': e.data.break_glass,
              ...(e.data.code ? { 'countersign.vote.refusal_code': e.data.code } : {}),
            },
          },
        ];
      case 'action.escalated':
        return [
          {
            name: SPAN.escalation,
            requestId,
            start: writtenAt,
            attributes: { ...base, 'countersign.rule_ids': e.data.escalated_rules },
          },
        ];
      case 'action.approved':
      case 'action.denied':
      case 'action.expired':
      case 'action.cancelled': {
        const record = changes.find((r) => r.id === requestId);
        // Decided by policy at submission: nobody was waited for.
        if (!record || record.decision !== 'require_approval') return [];
        return [
          {
            name: SPAN.wait,
            requestId,
            start: record.created_at,
            end: record.decided_at ?? writtenAt,
            attributes: {
              ...base,
              'countersign.status': e.data.status,
              'countersign.decided_by': e.actor.kind,
              'countersign.rule_ids': record.rules,
              'countersign.break_glass': record.break_glass,
            },
          },
        ];
      }
      case 'grant.issued':
        return [
          {
            name: SPAN.grantIssue,
            requestId,
            start: writtenAt,
            attributes: grantAttributes(
              requestId,
              e.data.jti,
              e.data.basis,
              e.data.approvers.length,
            ),
          },
        ];
      case 'action.result_reported':
        return [
          {
            name: SPAN.result,
            requestId,
            start: writtenAt,
            attributes: {
              ...base,
              ...(e.data.outcome ? { 'countersign.result.outcome': e.data.outcome } : {}),
            },
          },
        ];
      default:
        return [];
    }
  }

  #emit(spans: PlannedSpan[]): void {
    const end = this.deps.now();
    const ids = [...new Set(spans.map((s) => s.requestId))].filter((id) => !this.#contexts.has(id));
    const lookup: Promise<Map<string, string>> =
      ids.length > 0 ? this.deps.traceParents(ids) : Promise.resolve(new Map<string, string>());
    const work = lookup
      .catch((e: unknown) => {
        // Without its stored context a span still records what happened, in a trace of its own.
        this.deps.onError(e);
        return new Map<string, string>();
      })
      .then((found) => {
        for (const [id, tp] of found) this.#remember(id, tp);
        for (const s of spans) {
          const stored = this.#contexts.get(s.requestId);
          const parent = stored
            ? this.#propagator.extract(ROOT_CONTEXT, { traceparent: stored }, defaultTextMapGetter)
            : ROOT_CONTEXT;
          this.#tracer
            .startSpan(s.name, { startTime: at(s.start), attributes: s.attributes }, parent)
            .end(at(Math.max(s.start, s.end ?? end)));
        }
      })
      .catch(this.deps.onError)
      .finally(() => this.#pending.delete(work));
    this.#pending.add(work);
  }

  #serialise(ctx: Context): string | undefined {
    const carrier: Record<string, string> = {};
    this.#propagator.inject(ctx, carrier, defaultTextMapSetter);
    return carrier.traceparent;
  }

  #remember(id: string, traceParent: string): void {
    if (this.#contexts.size >= CACHE_SIZE) {
      const oldest = this.#contexts.keys().next().value;
      if (oldest !== undefined) this.#contexts.delete(oldest);
    }
    this.#contexts.set(id, traceParent);
  }
}

interface PlannedSpan {
  name: string;
  requestId: string;
  /** Epoch ms on the gateway's clock; `end` defaults to when the span is made. */
  start: number;
  end?: number;
  attributes: Attributes;
}

function grantAttributes(
  requestId: string,
  jti: string,
  basis: string,
  approvers: number,
): Attributes {
  return {
    'countersign.request.id': requestId,
    'countersign.grant.id': jti,
    'countersign.grant.basis': basis,
    'countersign.grant.approvers': approvers,
  };
}
