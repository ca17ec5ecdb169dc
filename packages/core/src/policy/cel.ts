/**
 * CEL `when` conditions: compiled once at load, evaluated per request.
 * @module
 */
import { celEnv, celMap, isCelError, parse, plan } from '@bufbuild/cel';
import type { CelInput } from '@bufbuild/cel';
import { RE2JS } from '@bufbuild/re2';
import type { JsonObject } from '../model/json.js';
import type { PolicyInput } from './types.js';
import { findUnknownNames, freeVariables } from './cel-references.js';

/** The variables a `when` may read (PolicyInput, one binding each). */
export const CEL_VARIABLES: readonly string[] = [
  'action',
  'resource',
  'environment',
  'params',
  'risk',
  'justification',
  'on_behalf_of',
  'context',
  'agent',
];

/** What an evaluation is given: one value per name in CEL_VARIABLES. */
export type CelBindings = Readonly<Record<string, CelInput>>;

/** A problem found while compiling, at a character offset into the expression. */
export interface CelProblem {
  message: string;
  offset: number;
}

/** The outcome of one evaluation: the boolean, or why there is none. */
export type ConditionResult = boolean | { error: string };

const RE2_CACHE_SIZE = 256;
const re2Cache = new Map<string, RE2JS>();

// `matches()` patterns usually are constants in the policy, but they may also come from the
// request (`params.sql.matches(params.pattern)`). RE2 matches in time linear in the input
// whatever the pattern, so an attacker-chosen string or pattern cannot make a decision
// backtrack for seconds (ReDoS); a JavaScript RegExp gives no such guarantee. The default
// @bufbuild/cel binding recompiles the pattern on every call (~20 µs); this bounded LRU
// cache keeps the hot ones compiled without letting request-chosen patterns grow memory.
const re2 = {
  compile(pattern: string): RE2JS {
    let re = re2Cache.get(pattern);
    if (re !== undefined) {
      re2Cache.delete(pattern);
    } else {
      re = RE2JS.compile(pattern);
      if (re2Cache.size >= RE2_CACHE_SIZE) {
        const oldest = re2Cache.keys().next();
        if (oldest.done !== true) re2Cache.delete(oldest.value);
      }
    }
    re2Cache.set(pattern, re);
    return re;
  },
};

const env = celEnv({ re2 });

/**
 * A compiled `when` condition. Evaluation never throws: an error (a missing key, a type
 * mismatch, a non-boolean result) comes back as `{ error }` so the engine can fail closed.
 */
export class CelCondition {
  private constructor(
    readonly source: string,
    private readonly program: (bindings: CelBindings) => unknown,
    /** The policy variables the expression reads (comprehension variables excluded). */
    readonly variables: ReadonlySet<string>,
  ) {}

  /**
   * Parses, checks and plans `source`, or returns every problem found.
   *
   * @example
   * const c = CelCondition.compile('params.rows > 10000');
   * if (c.ok) c.condition.evaluate(celBindings(input)); // true | false | { error }
   */
  static compile(
    source: string,
  ): { ok: true; condition: CelCondition } | { ok: false; problems: CelProblem[] } {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(source);
    } catch (e) {
      return { ok: false, problems: [parseProblem(e)] };
    }
    const problems = findUnknownNames(
      parsed,
      CEL_VARIABLES,
      (name) => env.funcs.find(name) !== undefined,
    );
    if (problems.length > 0) return { ok: false, problems };
    let program: (bindings: CelBindings) => unknown;
    try {
      program = plan(env, parsed);
    } catch (e) {
      // Planning resolves overloads and constants; a failure there is a load error too.
      const message = e instanceof Error ? e.message : String(e);
      return { ok: false, problems: [{ message, offset: 0 }] };
    }
    return { ok: true, condition: new CelCondition(source, program, freeVariables(parsed)) };
  }

  evaluate(bindings: CelBindings): ConditionResult {
    let result: unknown;
    try {
      result = this.program(bindings);
    } catch (e) {
      // plan() promises to return errors rather than throw; do not rely on it.
      return { error: e instanceof Error ? e.message : String(e) };
    }
    if (result === true || result === false) return result;
    if (isCelError(result)) return { error: result.message };
    return { error: `condition returned ${describe(result)}, not a boolean` };
  }
}

/**
 * The CEL variables for one request. Absent optional strings are bound as `""` and an absent
 * `context` as `{}`, so `risk == "high"` is simply false when no risk was given. `params`
 * is bound as it is: reading a key it lacks is an error ("no such key"), which the engine
 * turns into a deny; a condition on an optional param guards it with `has(params.x)`.
 * JSON numbers arrive as CEL doubles; CEL compares double and int heterogeneously, so
 * `params.rows > 10000` works without writing `10000.0`.
 */
export function celBindings(input: PolicyInput): CelBindings {
  return {
    action: input.action,
    resource: input.resource,
    environment: input.environment,
    params: objectMap(input.params),
    risk: input.risk ?? '',
    justification: input.justification ?? '',
    on_behalf_of: input.on_behalf_of ?? '',
    context: objectMap(input.context ?? {}),
    agent: celMap(
      new Map<string, CelInput>([
        ['id', input.agent.id],
        ['owners', input.agent.owners],
      ]),
    ),
  };
}

// Wrapping the top-level object once per decision, rather than letting every condition
// convert it again, keeps a policy with several `when`s on `params` cheap. Nested objects are
// converted lazily by @bufbuild/cel when a condition reads them.
function objectMap(obj: JsonObject): CelInput {
  return celMap(new Map(Object.entries(obj)));
}

function parseProblem(e: unknown): CelProblem {
  // @bufbuild/cel throws a peggy syntax error with `rawMessage` and `location.start.offset`.
  const err = e as {
    rawMessage?: unknown;
    message?: unknown;
    location?: { start?: { offset?: unknown } };
  };
  const message =
    typeof err.rawMessage === 'string'
      ? err.rawMessage
      : typeof err.message === 'string'
        ? err.message
        : String(e);
  const offset = err.location?.start?.offset;
  return { message: `syntax error: ${message}`, offset: typeof offset === 'number' ? offset : 0 };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 40))})`;
  if (typeof value === 'number' || typeof value === 'bigint') return `a number (${value})`;
  if (value === null) return 'null';
  return `a ${typeof value === 'object' ? 'list or map' : typeof value}`;
}
