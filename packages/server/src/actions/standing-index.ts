import {
  compileStandingCondition,
  reviewGroups,
  standingCovers,
  type CelBindings,
  type CelCondition,
  type CoveredRequest,
  type StandingApproval,
  type StandingWorld,
} from '@countersign/core';

/** One live standing approval, its condition compiled once. */
export interface IndexEntry {
  sa: StandingApproval;
  condition: CelCondition | undefined;
  /** The groups that review its requests, computed once. */
  pool: readonly string[];
}

const keyOf = (agent: string, action: string, environment: string): string =>
  `${agent}\u0000${action}\u0000${environment}`;

/**
 * This replica's copy of the active standing approvals, by (agent, action, environment): a
 * request with no candidate costs one map lookup. A copy, not the authority: the conditional
 * UPDATE that claims a use decides (StandingTx.claimUse), so a stale entry can only offer a
 * candidate the claim then refuses, and a missing one only sends the request to humans.
 */
export class StandingIndex {
  readonly #byKey = new Map<string, IndexEntry[]>();
  readonly #byId = new Map<string, IndexEntry>();
  /** Bumped by every put and remove, so a full reload can tell what changed during its read. */
  #version = 0;
  /** The version of each id's last put or remove since the last reload. */
  readonly #touched = new Map<string, number>();

  /** Read before a full reload's query, passed to `reset`. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#byId.size;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get(id: string): IndexEntry | undefined {
    return this.#byId.get(id);
  }

  /** Adds or replaces; an approval that is not active (any more) is removed instead. */
  put(sa: StandingApproval, now: number): void {
    this.#put(sa, now, this.#byId.get(sa.id));
  }

  /** `prior`: this id's entry before, whose compiled condition is reused if `when` is the same. */
  #put(sa: StandingApproval, now: number, prior: IndexEntry | undefined): void {
    this.remove(sa.id);
    this.#touched.set(sa.id, ++this.#version);
    if (sa.state !== 'active' || sa.uses >= sa.max_uses || sa.expires_at <= now) return;
    let condition: CelCondition | undefined;
    if (sa.scope.kind === 'condition') {
      const { when } = sa.scope;
      const same = prior?.sa.scope.kind === 'condition' && prior.sa.scope.when === when;
      if (same && prior.condition) condition = prior.condition;
      else {
        const compiled = compileStandingCondition(when);
        if (!compiled.ok) return; // it could not have been created; never a match
        condition = compiled.condition;
      }
    }
    const entry = { sa, condition, pool: reviewGroups(sa.approval) };
    this.#byId.set(sa.id, entry);
    const key = keyOf(sa.agent_id, sa.action, sa.environment);
    const list = this.#byKey.get(key);
    if (list) list.push(entry);
    else this.#byKey.set(key, [entry]);
  }

  remove(id: string): void {
    this.#touched.set(id, ++this.#version);
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    const key = keyOf(entry.sa.agent_id, entry.sa.action, entry.sa.environment);
    const list = this.#byKey.get(key)?.filter((e) => e !== entry);
    if (list && list.length > 0) this.#byKey.set(key, list);
    else this.#byKey.delete(key);
  }

  /**
   * Replaces everything with a full reload read after `since` (this.version then): an entry
   * put or removed while the read ran is newer than what the read saw, and is kept as it is.
   */
  reset(all: readonly StandingApproval[], now: number, since: number): void {
    const newer = new Map<string, IndexEntry | undefined>();
    for (const [id, v] of this.#touched) if (v > since) newer.set(id, this.#byId.get(id));
    // Each safety poll reloads everything: conditions already compiled are not compiled again.
    const before = new Map(this.#byId);
    this.#byKey.clear();
    this.#byId.clear();
    for (const sa of all) if (!newer.has(sa.id)) this.#put(sa, now, before.get(sa.id));
    for (const entry of newer.values()) if (entry) this.#put(entry.sa, now, entry);
    for (const [id, v] of this.#touched) if (v <= since) this.#touched.delete(id);
  }

  /**
   * The first standing approval that covers the request (core's standingCovers decides), the
   * one expiring soonest first so a short grant is used before a long one.
   */
  match(
    request: CoveredRequest,
    rules: readonly string[],
    bindings: () => CelBindings,
    world: StandingWorld,
  ): IndexEntry | undefined {
    const list = this.#byKey.get(keyOf(request.agent_id, request.action, request.environment));
    if (list === undefined) return undefined;
    let best: IndexEntry | undefined;
    let built: CelBindings | undefined;
    const once = (): CelBindings => (built ??= bindings());
    for (const entry of list) {
      if (best !== undefined && entry.sa.expires_at >= best.sa.expires_at) continue;
      const { sa, condition, pool } = entry;
      const c = { sa, condition, pool, request, rules, bindings: once, world };
      if (standingCovers(c)) best = entry;
    }
    return best;
  }
}
