/**
 * A rule in the form the evaluator runs: globs precompiled, condition planned, and the
 * explanation strings built once so the hot path allocates nothing for them.
 * @module
 */
import type { Decision } from '../model/status.js';
import type { PolicyInput } from './types.js';
import type { PolicyRule } from './policy-document.js';
import type { CelCondition } from './cel.js';
import { compileGlob, type GlobMatcher } from './glob.js';

export class CompiledRule {
  readonly id: string;
  readonly effect: Decision;
  private readonly action: GlobMatcher | undefined;
  private readonly resource: GlobMatcher | undefined;
  private readonly environment: GlobMatcher | undefined;
  private readonly agent: GlobMatcher | undefined;
  /** Trace detail when the rule matched (globs, and `when` if any, held). */
  readonly matchedDetail: string;
  /** Trace detail when the globs matched but `when` was false. */
  readonly falseDetail: string;

  constructor(
    readonly rule: PolicyRule,
    readonly condition: CelCondition | undefined,
  ) {
    this.id = rule.id;
    this.effect = rule.effect;
    const m = rule.match;
    this.action = m.action && compileGlob(m.action);
    this.resource = m.resource && compileGlob(m.resource);
    this.environment = m.environment && compileGlob(m.environment);
    this.agent = m.agent && compileGlob(m.agent);
    const globs = (['action', 'resource', 'environment', 'agent'] as const)
      .filter((k) => m[k] !== undefined)
      .map((k) => `${k} ${(m[k] ?? []).join(' | ')}`)
      .join(', ');
    const matched = globs === '' ? 'matches every request' : `matched ${globs}`;
    this.matchedDetail =
      rule.when === undefined ? matched : `${matched}; when \`${rule.when}\` is true`;
    this.falseDetail = `${matched}; when \`${rule.when ?? ''}\` is false`;
  }

  /** The cheap part: do all the rule's `match` globs accept the request? */
  globsMatch(input: PolicyInput): boolean {
    return (
      (this.action === undefined || this.action.test(input.action)) &&
      (this.environment === undefined || this.environment.test(input.environment)) &&
      (this.resource === undefined || this.resource.test(input.resource)) &&
      (this.agent === undefined || this.agent.test(input.agent.id))
    );
  }

  /** Trace detail when `when` failed to evaluate. */
  errorDetail(message: string): string {
    return `when \`${this.rule.when ?? ''}\` failed: ${message}`;
  }
}
