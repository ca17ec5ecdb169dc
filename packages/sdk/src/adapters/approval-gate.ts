/**
 * What every tool adapter shares: turn a tool call's input into an action, guard the tool's
 * own run with it, and turn a refusal into text the model can read. Adapters never import
 * each other; each wraps one library's tool shape around this.
 * @module
 */
import type { Countersign } from '../countersign.js';
import {
  ActionRefused,
  GatewayUnavailable,
  type ActionCancelled,
  type ActionDenied,
  type ActionExpired,
} from '../errors.js';
import type { Approval } from '../guard.js';
import type { ActionSpec, JsonObject, JsonValue, Risk } from '../wire-types.js';

/** Why a tool did not run: a decision, or no gateway to ask. */
export type Refusal = ActionDenied | ActionExpired | ActionCancelled | GatewayUnavailable;

/** A value, or a function of the tool's input that computes it. */
export type FromInput<I, V> = V | ((input: I) => V);

/** How a tool call becomes a Countersign action. */
export interface ApprovalOptions<I> {
  /** The client (agent token) to ask with. */
  client: Countersign;
  /** The action type, e.g. `db.export`. */
  action: FromInput<I, string>;
  /** The resource, e.g. `postgres://prod/customers`. */
  resource: FromInput<I, string>;
  environment?: FromInput<I, string>;
  /** The params the approval is bound to. Default: the tool input (`{input}` if not an object). */
  params?: (input: I) => JsonObject;
  justification?: FromInput<I, string | undefined>;
  risk?: Risk;
  context?: FromInput<I, JsonObject | undefined>;
  /**
   * Give up on a decision after this many ms: the request is cancelled and the model is told.
   * Default: wait until the gateway decides or expires it.
   */
  timeoutMs?: number;
  /**
   * The text the model reads when the action is not run. Default: the record's `message`
   * (who refused and why, with the reviewers' comments), or why the gateway could not be asked.
   */
  refusalText?: (error: Refusal) => string;
}

/** The action a tool call asks for. */
export function actionFor<I>(options: ApprovalOptions<I>, input: I): ActionSpec {
  const value = <V>(v: FromInput<I, V>): V =>
    typeof v === 'function' ? (v as (input: I) => V)(input) : v;
  const environment = options.environment === undefined ? undefined : value(options.environment);
  const justification =
    options.justification === undefined ? undefined : value(options.justification);
  const context = options.context === undefined ? undefined : value(options.context);
  return {
    action: value(options.action),
    resource: value(options.resource),
    params: options.params ? options.params(input) : inputAsParams(input),
    ...(environment === undefined ? {} : { environment }),
    ...(justification === undefined ? {} : { justification }),
    ...(options.risk === undefined ? {} : { risk: options.risk }),
    ...(context === undefined ? {} : { context }),
  };
}

/**
 * Runs `run` only once the action for `input` is approved, and returns its value; a refusal
 * (denied, expired, cancelled) or an unreachable gateway returns text for the model instead,
 * and `run` never starts (fail closed). Other errors (a bad token, an invalid action) throw:
 * they are bugs to fix, not answers for the model.
 */
export async function runWithApproval<I, O>(
  options: ApprovalOptions<I>,
  input: I,
  run: (approval: Approval) => O | Promise<O>,
  signal?: AbortSignal,
): Promise<O | string> {
  try {
    return await options.client.guard(actionFor(options, input), run, {
      ...(signal ? { signal } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  } catch (e) {
    if (e instanceof ActionRefused || e instanceof GatewayUnavailable) {
      const refusal = e as Refusal;
      return options.refusalText ? options.refusalText(refusal) : refusalText(refusal);
    }
    throw e;
  }
}

function refusalText(e: Refusal): string {
  if (e instanceof GatewayUnavailable) {
    return `Not run: the approval gateway could not be reached, so the action was refused (fail closed). ${e.message}`;
  }
  return e.message;
}

/** Tool inputs are JSON from the model; anything else is wrapped so it can still be bound. */
function inputAsParams(input: unknown): JsonObject {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return JSON.parse(JSON.stringify(input)) as JsonObject;
  }
  return { input: (input ?? null) as JsonValue };
}
