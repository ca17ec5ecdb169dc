/**
 * A loaded policy: the normalised document, its version, and the evaluator.
 * @module
 */
import type { PolicyDecision, PolicyInput } from './types.js';
import type { PolicyDocument, PolicyRule } from './policy-document.js';
import type { CompiledRule } from './compiled-rule.js';
import { evaluatePolicy, type EvaluablePolicy } from './evaluate.js';

/**
 * Immutable once built; build it with `loadPolicy`. A new policy is a new instance, so a
 * decision can always name the exact version that made it.
 *
 * @example
 * const policy = loadPolicy(yamlText, { file: 'policy.yaml', groups, users });
 * const d = policy.evaluate({ action: 'db.export', resource: 'postgres://prod/customers',
 *   environment: 'production', params: { rows: 20000 }, agent: { id: 'exporter', owners: [] } });
 * d.decision; // 'require_approval'
 */
export class CompiledPolicy {
  /** Rules in policy order, as normalised data. */
  readonly rules: readonly PolicyRule[];
  /** Dotted paths (`params.password`) the audit log must redact. */
  readonly redact: readonly string[];
  /** Every group named in an approval's `from` or `escalate.to`. */
  readonly groupsReferenced: ReadonlySet<string>;
  readonly #evaluable: EvaluablePolicy;

  /** @internal Use `loadPolicy`. */
  constructor(
    /** The normalised document. */
    readonly document: PolicyDocument,
    /** `sha256:<hex>` over the RFC 8785 canonical JSON of the document as parsed from YAML. */
    readonly version: string,
    compiled: readonly CompiledRule[],
  ) {
    this.rules = document.rules;
    this.redact = document.redact;
    this.#evaluable = { rules: compiled, defaults: document.defaults, version };
    const groups = new Set<string>();
    for (const rule of document.rules) {
      for (const g of rule.approval?.from ?? []) groups.add(g);
      for (const g of rule.approval?.escalate?.to ?? []) groups.add(g);
    }
    this.groupsReferenced = groups;
  }

  /** Decides one request. Never throws: anything unexpected is a deny with the reason. */
  evaluate(input: PolicyInput): PolicyDecision {
    return evaluatePolicy(this.#evaluable, input);
  }
}
