import { Type, type Static } from 'typebox';

/**
 * Wire schemas of the OpenID AuthZEN Authorization API 1.0 endpoints (docs/authzen.md).
 * Unlike the native API, unknown members are accepted and ignored: §10.1.1 "receivers MUST
 * ignore unknown fields" (the interop test cases send e.g. `subject.identity`). Lengths are
 * bounded here; the body limit and the JSON depth limit (app.ts) bound the rest (§11.7).
 */

/** An entity's `properties` (§5.1.1, §5.2.1, §5.3.1): any JSON object. */
const Properties = Type.Object({}, { additionalProperties: true });

/** §5.1 Subject, §5.2 Resource: `type` and `id` REQUIRED strings, `properties` OPTIONAL. */
const Entity = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 200 }),
    id: Type.String({ minLength: 1, maxLength: 1000 }),
    properties: Type.Optional(Properties),
  },
  { additionalProperties: true },
);

/** §5.3 Action: `name` REQUIRED, `properties` OPTIONAL. */
const Action = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    properties: Type.Optional(Properties),
  },
  { additionalProperties: true },
);

/** §5.4 Context: any JSON object. */
const Context = Properties;

/** §6.1: the four entities; `context` OPTIONAL. */
export const EvaluationBody = Type.Object(
  { subject: Entity, action: Action, resource: Entity, context: Type.Optional(Context) },
  { additionalProperties: true },
);
export type EvaluationBody = Static<typeof EvaluationBody>;

/** At most this many evaluations in one `POST /access/v1/evaluations` (§11.7). */
export const MAX_EVALUATIONS = 64;

/** §7.1.2.1: the three semantics; `execute_all` is the default. */
export const SEMANTICS = ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'] as const;
export type Semantic = (typeof SEMANTICS)[number];

/** §7.1: every key optional at the top level; each evaluation's keys override the defaults. */
const PartialEvaluation = Type.Object(
  {
    subject: Type.Optional(Entity),
    action: Type.Optional(Action),
    resource: Type.Optional(Entity),
    context: Type.Optional(Context),
  },
  { additionalProperties: true },
);

export const EvaluationsBody = Type.Object(
  {
    subject: Type.Optional(Entity),
    action: Type.Optional(Action),
    resource: Type.Optional(Entity),
    context: Type.Optional(Context),
    evaluations: Type.Optional(Type.Array(PartialEvaluation, { maxItems: MAX_EVALUATIONS })),
    // §7.1.2: `options` is open; only `evaluations_semantic` is understood.
    options: Type.Optional(
      Type.Object(
        {
          evaluations_semantic: Type.Optional(Type.Union(SEMANTICS.map((s) => Type.Literal(s)))),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);
export type EvaluationsBody = Static<typeof EvaluationsBody>;

/** §5.5 Decision: `decision` REQUIRED, `context` OPTIONAL. */
export const Decision = Type.Object({
  decision: Type.Boolean(),
  context: Type.Optional(Properties),
});
export type Decision = Static<typeof Decision>;

/** §7.2: the decisions in request order; a single decision when no array was sent (§7.1). */
export const EvaluationsResponse = Type.Object({
  decision: Type.Optional(Type.Boolean()),
  context: Type.Optional(Properties),
  evaluations: Type.Optional(Type.Array(Decision)),
});

/** §9.1: the PDP metadata this gateway publishes. */
export const PdpMetadata = Type.Object({
  policy_decision_point: Type.String(),
  access_evaluation_endpoint: Type.String(),
  access_evaluations_endpoint: Type.String(),
});
