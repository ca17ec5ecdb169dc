/**
 * Load-time check that a `when` only names known variables and functions.
 * @module
 */
import type { parse } from '@bufbuild/cel';
import type { CelProblem } from './cel.js';

type Parsed = ReturnType<typeof parse>;
type Expr = Parsed['expr'];

// Calls the planner implements itself rather than through the function registry
// (@bufbuild/cel planner.ts: index, optional select/index, ?:, &&, ||, comprehension helper).
const BUILT_IN_CALLS = new Set([
  '_[_]',
  '_[?_]',
  '_?._',
  '_?_:_',
  '_&&_',
  '_||_',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

// Type names may be used as values, e.g. `type(params.x) == string`.
const TYPE_NAMES = new Set([
  'int',
  'uint',
  'double',
  'bool',
  'string',
  'bytes',
  'list',
  'map',
  'null_type',
  'type',
]);

/** What a walk over an expression reports: free identifiers and calls. */
interface ExprVisitor {
  /** An identifier not bound by an enclosing comprehension. */
  ident(name: string, e: Expr): void;
  call?(name: string, e: Expr): void;
}

/** Visits every node of `parsed`, tracking the names comprehensions bind. */
function walkExpr(parsed: Parsed, visit: ExprVisitor): void {
  const walk = (e: Expr | undefined, scope: ReadonlySet<string>): void => {
    if (e === undefined) return;
    const k = e.exprKind;
    switch (k.case) {
      case 'identExpr':
        if (!scope.has(k.value.name)) visit.ident(k.value.name, e);
        return;
      case 'selectExpr':
        return walk(k.value.operand, scope);
      case 'callExpr':
        visit.call?.(k.value.function, e);
        walk(k.value.target, scope);
        for (const arg of k.value.args) walk(arg, scope);
        return;
      case 'listExpr':
        for (const el of k.value.elements) walk(el, scope);
        return;
      case 'structExpr':
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value, scope);
          walk(entry.value, scope);
        }
        return;
      case 'comprehensionExpr': {
        const c = k.value;
        walk(c.iterRange, scope);
        walk(c.accuInit, scope);
        const inner = new Set(scope);
        for (const v of [c.iterVar, c.iterVar2, c.accuVar]) if (v !== '') inner.add(v);
        walk(c.loopCondition, inner);
        walk(c.loopStep, inner);
        walk(c.result, inner);
        return;
      }
      case 'constExpr':
      case undefined:
        return;
    }
  };
  walk(parsed.expr, new Set());
}

/**
 * Every identifier that is neither a policy variable, a type name nor a comprehension
 * variable, and every function the environment does not have. Without this, a typo such as
 * `parms.rows > 10` would load fine and then deny every request it meets: fail-closed, but
 * silently broken. Catching it at load turns it into a `policy check` error with a line.
 */
export function findUnknownNames(
  parsed: Parsed,
  variables: readonly string[],
  hasFunction: (name: string) => boolean,
): CelProblem[] {
  const problems: CelProblem[] = [];
  const positions = parsed.sourceInfo?.positions ?? {};
  const offsetOf = (e: Expr): number => positions[String(e.id)] ?? 0;
  const known = new Set(variables);
  walkExpr(parsed, {
    ident: (name, e) => {
      if (!known.has(name) && !TYPE_NAMES.has(name)) {
        problems.push({
          message: `unknown variable "${name}" (known: ${variables.join(', ')})`,
          offset: offsetOf(e),
        });
      }
    },
    call: (name, e) => {
      if (!BUILT_IN_CALLS.has(name) && !hasFunction(name)) {
        problems.push({ message: `unknown function "${name}"`, offset: offsetOf(e) });
      }
    },
  });
  return problems;
}

/**
 * The policy variables an expression reads: identifiers not bound by a comprehension
 * (`[1].all(params, true)` reads no `params`). Used where a condition must constrain
 * something, e.g. the scope of a standing approval.
 */
export function freeVariables(parsed: Parsed): Set<string> {
  const found = new Set<string>();
  walkExpr(parsed, { ident: (name) => found.add(name) });
  return found;
}
