import { Type, type Static } from 'typebox';
import {
  ACTION_MAX_LENGTH,
  ACTION_PATTERN,
  ENVIRONMENT_MAX_LENGTH,
  ENVIRONMENT_PATTERN,
  PRINCIPAL_ID_MAX_LENGTH,
  PRINCIPAL_ID_PATTERN,
  RESOURCE_MAX_LENGTH,
  RESOURCE_PATTERN,
} from '@countersign/core';

/**
 * Wire schemas: they validate every body (unknown fields refused), type the handlers through
 * the TypeBox provider, and generate /openapi.json. Limits here are the first line against
 * oversize and malformed input; the body limit is the second.
 */
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

const JsonObject = Type.Object({}, { additionalProperties: true });

/** A person or agent named by the caller: one line of visible text (core's action grammar). */
const PrincipalId = Type.String({
  minLength: 1,
  maxLength: PRINCIPAL_ID_MAX_LENGTH,
  pattern: PRINCIPAL_ID_PATTERN,
});

export const ActionRequestBody = Type.Object(
  {
    action: Type.String({
      minLength: 1,
      maxLength: ACTION_MAX_LENGTH,
      pattern: ACTION_PATTERN,
      description: 'Dotted action type: [A-Za-z0-9_-] segments joined by dots, e.g. db.export',
    }),
    resource: Type.String({
      minLength: 1,
      maxLength: RESOURCE_MAX_LENGTH,
      pattern: RESOURCE_PATTERN,
      description:
        'URI-like resource name, e.g. postgres://prod/customers: one line of visible characters (no whitespace but single inner spaces, no control, format or bidi characters)',
    }),
    environment: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: ENVIRONMENT_MAX_LENGTH,
        pattern: ENVIRONMENT_PATTERN,
        default: undefined,
      }),
    ),
    params: Type.Optional(JsonObject),
    justification: Type.Optional(Type.String({ maxLength: 4000 })),
    risk: Type.Optional(
      Type.Union([
        Type.Literal('low'),
        Type.Literal('medium'),
        Type.Literal('high'),
        Type.Literal('critical'),
      ]),
    ),
    on_behalf_of: Type.Optional(PrincipalId),
    context: Type.Optional(JsonObject),
    callback_url: Type.Optional(
      Type.String({ format: 'uri', maxLength: 2000, pattern: '^https?://' }),
    ),
    idempotency_key: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' }),
    ),
  },
  { additionalProperties: false },
);
export type ActionRequestBody = Static<typeof ActionRequestBody>;

const RuleTrace = Type.Object({
  rule: Type.String(),
  outcome: Type.String(),
  effect: Type.String(),
  detail: Type.String(),
});

const Approval = Type.Object(
  {
    timeout_ms: Type.Number(),
    on_timeout: Type.String(),
    justification_required: Type.Boolean(),
    clauses: Type.Array(
      Type.Object(
        {
          rule: Type.String(),
          from: Type.Array(Type.String()),
          groups: Type.Array(Type.Object({ group: Type.String(), min: Type.Number() })),
          quorum: Type.Number(),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

export const ActionView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  decision: Type.String(),
  reason: Type.String(),
  message: Type.String({ description: 'Plain text for an agent to hand to its model' }),
  rules: Type.Array(Type.String()),
  digest: Type.String(),
  policy_version: Type.String(),
  agent: Type.Object({
    id: Type.String(),
    /** The agent's owners in the directory (never its approvers: separation of duties). */
    owners: Type.Optional(Type.Array(Type.String())),
  }),
  action: Type.String(),
  resource: Type.String(),
  environment: Type.String(),
  params: JsonObject,
  justification: Nullable(Type.String()),
  risk: Nullable(Type.String()),
  on_behalf_of: Nullable(Type.String()),
  context: Nullable(JsonObject),
  callback_url: Nullable(Type.String()),
  idempotency_key: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  expires_at: Nullable(Type.String({ format: 'date-time' })),
  decided_at: Nullable(Type.String({ format: 'date-time' })),
  approval: Nullable(Approval),
  progress: Nullable(
    Type.Object({
      satisfied: Type.Boolean(),
      clauses: Type.Array(
        Type.Object({
          rule: Type.String(),
          quorum: Type.Number(),
          approvals: Type.Number(),
          satisfied: Type.Boolean(),
          missing: Type.Array(Type.Object({ group: Type.String(), need: Type.Number() })),
        }),
      ),
    }),
  ),
  escalated_rules: Type.Array(Type.String()),
  break_glass: Type.Boolean(),
  votes: Type.Array(
    Type.Object({
      user: Type.String(),
      vote: Type.String(),
      comment: Nullable(Type.String()),
      channel: Type.String(),
      at: Type.String({ format: 'date-time' }),
      break_glass: Type.Boolean(),
    }),
  ),
  grant: Nullable(
    Type.Object({
      token: Type.String(),
      jti: Type.String(),
      expires_at: Type.String({ format: 'date-time' }),
      redeemed_at: Nullable(Type.String({ format: 'date-time' })),
    }),
  ),
  explanation: Type.Array(RuleTrace),
  result: Nullable(
    Type.Object({
      outcome: Type.String(),
      detail: Type.Unknown(),
      at: Type.String({ format: 'date-time' }),
    }),
  ),
  // Always written by actionView (null when none); optional for views built elsewhere.
  standing_approval_id: Type.Optional(
    Nullable(
      Type.String({ description: 'The standing approval that approved it (docs/fatigue.md)' }),
    ),
  ),
});
export type ActionView = Static<typeof ActionView>;

/** A standing approval (docs/fatigue.md). */
export const StandingApprovalView = Type.Object({
  id: Type.String(),
  status: Type.Union([
    Type.Literal('proposed'),
    Type.Literal('active'),
    Type.Literal('revoked'),
    Type.Literal('exhausted'),
    Type.Literal('expired'),
  ]),
  source_action_id: Type.String(),
  agent_id: Type.String(),
  action: Type.String(),
  environment: Type.String(),
  rules: Type.Array(Type.String()),
  rule_fingerprints: Type.Record(Type.String(), Type.String()),
  approval: Approval,
  scope: Type.Union([
    Type.Object({ kind: Type.Literal('digest'), digest: Type.String() }),
    Type.Object({ kind: Type.Literal('condition'), when: Type.String() }),
  ]),
  max_uses: Type.Integer(),
  uses: Type.Integer(),
  expires_at: Type.String({ format: 'date-time' }),
  created_at: Type.String({ format: 'date-time' }),
  created_by: Type.String(),
  endorsers: Type.Array(
    Type.Object({
      user: Type.String(),
      groups: Type.Array(Type.String()),
      channel: Type.String(),
      at: Type.String({ format: 'date-time' }),
    }),
  ),
  revoked_at: Nullable(Type.String({ format: 'date-time' })),
  revoked_by: Nullable(Type.String()),
  revoke_reason: Nullable(Type.String()),
  uses_log: Type.Optional(Type.Array(Type.String())),
});
export type StandingApprovalView = Static<typeof StandingApprovalView>;

/** The vote's answer: the request, and the standing approval the vote created, if it did. */
export const VoteAnswer = Type.Intersect([
  ActionView,
  Type.Object({ standing_approval: Type.Optional(StandingApprovalView) }),
]);

export const StandingList = Type.Object({ items: Type.Array(StandingApprovalView) });

export const StandingListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([
        Type.Literal('active'),
        Type.Literal('proposed'),
        Type.Literal('revoked'),
        Type.Literal('expired'),
        Type.Literal('exhausted'),
        Type.Literal('all'),
      ]),
    ),
    agent: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const ActionList = Type.Object({
  items: Type.Array(ActionView),
  next_cursor: Nullable(Type.String()),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

export const WaitQuery = Type.Object(
  { timeout: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })) },
  { additionalProperties: false },
);

export const ListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union(
        ['pending', 'approved', 'denied', 'expired', 'cancelled', 'completed', 'failed'].map((s) =>
          Type.Literal(s),
        ),
      ),
    ),
    agent: Type.Optional(Type.String({ maxLength: 128 })),
    action: Type.Optional(Type.String({ maxLength: 200 })),
    environment: Type.Optional(Type.String({ maxLength: 64 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
    break_glass: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

export const VoteBody = Type.Object(
  {
    vote: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
    comment: Type.Optional(Type.String({ maxLength: 4000 })),
    break_glass: Type.Optional(Type.Boolean()),
    /** Also approve the same kind of action ahead of time (docs/fatigue.md). */
    standing: Type.Optional(
      Type.Union([
        Type.Object(
          { uses: Type.Integer({ minimum: 1, maximum: 10_000 }) },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            when: Type.String({ minLength: 1, maxLength: 1024 }),
            for: Type.String({ minLength: 2, maxLength: 20 }),
            max_uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);

export const CancelBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);

export const ResultBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
    detail: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const EvaluateBody = Type.Object(
  {
    action: ActionRequestBody.properties.action,
    resource: ActionRequestBody.properties.resource,
    environment: ActionRequestBody.properties.environment,
    params: Type.Optional(JsonObject),
    justification: Type.Optional(Type.String({ maxLength: 4000 })),
    risk: ActionRequestBody.properties.risk,
    on_behalf_of: Type.Optional(PrincipalId),
    context: Type.Optional(JsonObject),
    /** Admins only: evaluate as this agent. Agents always evaluate as themselves. */
    agent: Type.Optional(PrincipalId),
  },
  { additionalProperties: false },
);

export const EvaluateResponse = Type.Object({
  decision: Type.String(),
  reason: Type.String(),
  rules: Type.Array(Type.String()),
  digest: Type.String(),
  policy_version: Type.String(),
  approval: Nullable(Approval),
  explanation: Type.Array(RuleTrace),
  explanation_text: Type.String(),
});

/**
 * The 200 of a server-sent events route, for the OpenAPI document only: the handler hijacks
 * the reply and writes the stream itself (sse.ts), so nothing is serialised through this.
 * Events are described in docs/api.md (WHATWG HTML §9.2, `text/event-stream`).
 */
export const eventStream = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: Type.String() } },
});

/** A problem response documented as `application/problem+json` (RFC 9457 §3). */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});
