import type { ActionRecord } from '@countersign/core';

type Listener = (record: ActionRecord) => void;

/**
 * In-process fan-out of request changes to long-polls and SSE streams. Waiters also re-read
 * the store on a slow timer, so a change made by another replica is seen without this bus.
 */
export class ActionEvents {
  readonly #byId = new Map<string, Set<Listener>>();
  readonly #all = new Set<Listener>();

  publish(record: ActionRecord): void {
    for (const l of this.#byId.get(record.id) ?? []) l(record);
    for (const l of this.#all) l(record);
  }

  /** Returns the unsubscribe function. */
  subscribe(id: string, listener: Listener): () => void {
    let set = this.#byId.get(id);
    if (!set) {
      set = new Set();
      this.#byId.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#byId.delete(id);
    };
  }

  /** Every change (channels and the notifier seam subscribe here). */
  subscribeAll(listener: Listener): () => void {
    this.#all.add(listener);
    return () => this.#all.delete(listener);
  }

  get waiterCount(): number {
    let n = 0;
    for (const s of this.#byId.values()) n += s.size;
    return n;
  }
}
