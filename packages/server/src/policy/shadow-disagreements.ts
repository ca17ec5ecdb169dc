import { CHANGE_KINDS, type ChangeKind } from '@countersign/core';
import type { PolicyShadowDisagreedData } from '../audit/audit-events.js';

/** One recorded disagreement, as `GET /v1/policy/shadow` lists it. */
export interface ShadowExample extends PolicyShadowDisagreedData {
  request_id: string;
  at: string;
  agent: string;
  action: string;
}

/** How many examples are kept, newest first. */
export const SHADOW_EXAMPLES = 20;

/**
 * This replica's tally of shadow disagreements since the shadow version in force was loaded:
 * counts by kind and the newest examples. Memory only, bounded; the durable record is the
 * audit log's `policy.shadow_disagreed` entries, and the cluster-wide count the metric.
 */
export class ShadowDisagreements {
  #version: string | null = null;
  #since: number;
  #counts = new Map<ChangeKind, number>();
  #examples: ShadowExample[] = [];

  constructor(private readonly now: () => number) {
    this.#since = now();
  }

  /** Starts a new tally when the shadow version changes (or goes away). */
  reset(version: string | null): void {
    if (version === this.#version) return;
    this.#version = version;
    this.#since = this.now();
    this.#counts.clear();
    this.#examples = [];
  }

  add(example: ShadowExample): void {
    if (example.shadow.policy_version !== this.#version) return;
    this.#counts.set(example.kind, (this.#counts.get(example.kind) ?? 0) + 1);
    this.#examples.unshift(example);
    if (this.#examples.length > SHADOW_EXAMPLES) this.#examples.pop();
  }

  view() {
    return {
      since: new Date(this.#since).toISOString(),
      counts: Object.fromEntries(CHANGE_KINDS.map((k) => [k, this.#counts.get(k) ?? 0])) as Record<
        ChangeKind,
        number
      >,
      examples: [...this.#examples],
    };
  }
}
