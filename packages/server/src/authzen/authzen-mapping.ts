import {
  ACTION_MAX_LENGTH,
  ACTION_PATTERN,
  CountersignError,
  DEFAULT_ENVIRONMENT,
  ENVIRONMENT_MAX_LENGTH,
  ENVIRONMENT_PATTERN,
  PRINCIPAL_ID_MAX_LENGTH,
  PRINCIPAL_ID_PATTERN,
  RESOURCE_MAX_LENGTH,
  RESOURCE_PATTERN,
  RISKS,
  type ActionRequestInput,
  type JsonObject,
  type Risk,
} from '@countersign/core';
import type { EvaluationBody, EvaluationsBody } from './authzen-schemas.js';

/**
 * AuthZEN 1.0 request → Countersign request, one pure function (docs/authzen.md, "Mapping"):
 *
 * | AuthZEN                              | Countersign                                        |
 * |--------------------------------------|----------------------------------------------------|
 * | `subject` `{type: "agent", id}`      | the requesting agent (`agent.id`); other types 400 |
 * | `action.name`                        | `action` (dotted action grammar)                   |
 * | `action.properties`                  | `params` (covered by the digest)                   |
 * | `resource` `{type, id}`              | `resource` = `type:id` (a URI: type is the scheme) |
 * | `context.environment`                | `environment` (default `default`)                  |
 * | `context.justification` / `risk`     | `justification` / `risk`                           |
 * | `context.on_behalf_of`               | `on_behalf_of`                                     |
 * | `context.approval`                   | the approval reference of a re-evaluation          |
 * | rest of `context`, entity properties | `context` (CEL `context.authzen.…`), not digested  |
 *
 * Digest-bound (and so bound into an approval and its grant) are exactly the native four:
 * action, resource, environment, params. The resource's `type` is part of the resource
 * string so that an approval for `document:x` can never serve `folder:x`.
 */

/** One evaluation after §7.1.1's defaults are applied: the §6.1 request. */
export type Evaluation = EvaluationBody;

/** What the re-evaluation presents in `context.approval` (Access Request profile draft). */
export interface ApprovalReference {
  id: string;
  /** The signed grant the PDP issued with the approval, echoed unchanged if present. */
  state?: string | undefined;
}

export interface MappedEvaluation {
  /** The agent the evaluation is about (`subject.id`); who may ask is checked elsewhere. */
  agentId: string;
  input: ActionRequestInput;
  approval?: ApprovalReference | undefined;
}

/** Context members that map onto native fields rather than into `context`. */
const MAPPED_CONTEXT = ['environment', 'justification', 'risk', 'on_behalf_of', 'approval'];

/** RFC 3986 §3.1 scheme grammar: the resource type becomes the scheme of the resource URI. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

const invalid = (path: string, message: string): CountersignError =>
  new CountersignError('invalid_request', `${path}: ${message}`, {
    errors: [{ path, message }],
  });

/**
 * §7.1.1: the top-level `subject`, `action`, `resource` and `context` are defaults that each
 * evaluation's own keys override; a missing required key is a 400 (§10.1.1). An absent or
 * empty `evaluations` array is one evaluation of the top-level keys (§7.1).
 */
export function withDefaults(body: EvaluationsBody): Evaluation[] {
  const items = body.evaluations?.length ? body.evaluations : [{}];
  return items.map((item, i) => {
    const subject = item.subject ?? body.subject;
    const action = item.action ?? body.action;
    const resource = item.resource ?? body.resource;
    const context = item.context ?? body.context;
    const where = body.evaluations?.length ? `evaluations[${i}]` : 'body';
    if (!subject) throw invalid(`${where}.subject`, 'required (here or at the top level)');
    if (!action) throw invalid(`${where}.action`, 'required (here or at the top level)');
    if (!resource) throw invalid(`${where}.resource`, 'required (here or at the top level)');
    return { subject, action, resource, ...(context ? { context } : {}) };
  });
}

function matches(value: string, pattern: string, max: number): boolean {
  return value.length <= max && new RegExp(pattern, 'u').test(value);
}

function optionalString(
  context: Record<string, unknown>,
  key: string,
  check: (v: string) => boolean,
  what: string,
): string | undefined {
  const value = context[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !check(value)) throw invalid(`context.${key}`, what);
  return value;
}

function approvalReference(value: unknown): ApprovalReference | undefined {
  if (value === undefined) return undefined;
  const ref = value as { id?: unknown; state?: unknown };
  if (typeof value !== 'object' || value === null || typeof ref.id !== 'string') {
    throw invalid('context.approval', 'an object with a string `id`');
  }
  if (ref.id.length > 200) throw invalid('context.approval.id', 'at most 200 characters');
  if (ref.state !== undefined && typeof ref.state !== 'string') {
    throw invalid('context.approval.state', 'a string (the grant, unchanged)');
  }
  return { id: ref.id, state: ref.state };
}

/** Maps one evaluation; anything Countersign cannot represent is a 400 naming the member. */
export function toCountersign(ev: Evaluation): MappedEvaluation {
  if (ev.subject.type !== 'agent') {
    throw invalid('subject.type', 'must be "agent": Countersign decides what agents may do');
  }
  if (!matches(ev.subject.id, PRINCIPAL_ID_PATTERN, PRINCIPAL_ID_MAX_LENGTH)) {
    throw invalid('subject.id', 'one line of visible text');
  }
  if (!matches(ev.action.name, ACTION_PATTERN, ACTION_MAX_LENGTH)) {
    throw invalid('action.name', 'a dotted action name: [A-Za-z0-9_-] segments joined by dots');
  }
  if (!SCHEME.test(ev.resource.type)) {
    throw invalid('resource.type', 'a URI scheme (letters, digits, "+", "-", "."; a letter first)');
  }
  const resource = `${ev.resource.type}:${ev.resource.id}`;
  if (!matches(resource, RESOURCE_PATTERN, RESOURCE_MAX_LENGTH)) {
    throw invalid('resource.id', 'one line of visible text (type:id at most 1000 characters)');
  }
  const context = (ev.context ?? {}) as Record<string, unknown>;
  const environment =
    optionalString(
      context,
      'environment',
      (v) => matches(v, ENVIRONMENT_PATTERN, ENVIRONMENT_MAX_LENGTH),
      'an environment name ([A-Za-z0-9._-], at most 64)',
    ) ?? DEFAULT_ENVIRONMENT;
  const justification = optionalString(
    context,
    'justification',
    (v) => v.length <= 4000,
    'a string of at most 4000 characters',
  );
  const risk = optionalString(
    context,
    'risk',
    (v) => (RISKS as readonly string[]).includes(v),
    `one of ${RISKS.join(', ')}`,
  ) as Risk | undefined;
  const on_behalf_of = optionalString(
    context,
    'on_behalf_of',
    (v) => matches(v, PRINCIPAL_ID_PATTERN, PRINCIPAL_ID_MAX_LENGTH),
    'a directory id: one line of visible text',
  );
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(context)) {
    if (!MAPPED_CONTEXT.includes(key)) rest[key] = value as JsonObject[string];
  }
  // The entities' properties, for `when` conditions (context.authzen.resource.properties.x).
  rest.authzen = {
    subject: { type: ev.subject.type, id: ev.subject.id, properties: ev.subject.properties ?? {} },
    resource: {
      type: ev.resource.type,
      id: ev.resource.id,
      properties: ev.resource.properties ?? {},
    },
  } as JsonObject;
  return {
    agentId: ev.subject.id,
    input: {
      action: ev.action.name,
      resource,
      environment,
      params: (ev.action.properties ?? {}) as JsonObject,
      justification,
      risk,
      on_behalf_of,
      context: rest,
    },
    approval: approvalReference(context.approval),
  };
}
