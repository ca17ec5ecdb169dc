/**
 * A loaded policy: the normalised document, its version, and the evaluator.
 * @module
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../digest/canonical-json.js';
import type { JsonValue } from '../model/json.js';
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
  readonly #fingerprints = new Map<string, string>();

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
    for (const rule of document.rules) this.#fingerprints.set(rule.id, ruleFingerprint(rule));
  }

  /**
   * `sha256:<hex>` of the canonical JSON of one rule as normalised, without its place in the
   * file: moving a rule or editing another one keeps it, any change to the rule itself (its
   * match, condition, effect, approval, standing limits) changes it. Undefined: no such rule.
   * Standing approvals record it, and stop when it changes (docs/fatigue.md).
   */
  ruleFingerprint(ruleId: string): string | undefined {
    return this.#fingerprints.get(ruleId);
  }

  /** Decides one request. Never throws: anything unexpected is a deny with the reason. */
  evaluate(input: PolicyInput): PolicyDecision {
    return evaluatePolicy(this.#evaluable, input);
  }
}

function ruleFingerprint(rule: PolicyRule): string {
  // A round trip through JSON drops undefined members, as canonical JSON does.
  const definition = JSON.parse(JSON.stringify({ ...rule, location: undefined })) as JsonValue;
  const canonical = canonicalJson(definition);
  return `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}
