import {
  classifyChange,
  type CompiledPolicy,
  type PolicyDecision,
  type PolicyInput,
} from '@countersign/core';
import type { PolicyShadowDisagreedData } from '../audit/audit-events.js';

export interface ShadowReloadResult {
  ok: boolean;
  /** The shadow version evaluated from now on; null when there is none. */
  version: string | null;
  changed: boolean;
  error?: string;
}

/**
 * A candidate policy run beside the live one (docs/policy.md "Shadow policies"): each request
 * is also evaluated against it and the difference recorded; nothing it says is enforced.
 *
 * Loaded like the live policy (same compiler, same directory), but never in the way of it: a
 * shadow that does not load is refused and the previous shadow stays (or none), and a shadow
 * that throws while evaluating is reported and skipped. Fail-closed is the live policy's rule.
 */
export class ShadowPolicy {
  #current: CompiledPolicy | undefined;

  /**
   * `compile` is the live policy's (policy-store.ts): the shadow is validated exactly as the
   * live policy is. `onEvaluationError` is told of each evaluation that threw (log, metric).
   */
  constructor(
    readonly file: string,
    private readonly compile: (file: string) => CompiledPolicy,
    private readonly onEvaluationError: (e: Error) => void,
  ) {}

  get current(): CompiledPolicy | undefined {
    return this.#current;
  }

  /** Compiles the file once; on failure keeps what was there (the previous shadow, or none). */
  reload(): ShadowReloadResult {
    const before = this.#current?.version ?? null;
    try {
      this.#current = this.compile(this.file);
      return {
        ok: true,
        version: this.#current.version,
        changed: this.#current.version !== before,
      };
    } catch (e) {
      return { ok: false, version: before, changed: false, error: (e as Error).message };
    }
  }

  /**
   * Evaluates the shadow on the live policy's exact input and names the difference from the
   * live decision with replay's change kinds (core policy/replay.ts), or undefined when they
   * agree, when there is no shadow, or when it threw. Never throws.
   */
  compare(input: PolicyInput, live: PolicyDecision): PolicyShadowDisagreedData | undefined {
    const candidate = this.#current;
    if (!candidate) return undefined;
    let shadow: PolicyDecision;
    try {
      shadow = candidate.evaluate(input);
    } catch (e) {
      this.onEvaluationError(e as Error);
      return undefined;
    }
    // Just submitted: the live decision is the whole baseline (nobody has voted yet).
    const kind = classifyChange(
      {
        recorded: { decision: live.decision, rules: live.rules, approval: live.approval ?? null },
        outcome: OUTCOME[live.decision],
        denials: 0,
      },
      shadow,
    );
    if (kind === undefined) return undefined;
    return {
      kind,
      live: { decision: live.decision, rules: live.rules, policy_version: live.policy_version },
      shadow: {
        decision: shadow.decision,
        rules: shadow.rules,
        policy_version: shadow.policy_version,
      },
    };
  }
}

const OUTCOME = {
  allow: 'allowed',
  deny: 'denied_by_policy',
  require_approval: 'pending',
} as const;
