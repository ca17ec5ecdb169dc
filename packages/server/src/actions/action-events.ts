import { randomUUID } from 'node:crypto';
import type { ActionRecord } from '@countersign/core';

type Listener = (record: ActionRecord) => void;

/**
 * In-process fan-out of request changes to long-polls and SSE streams. Changes committed by
 * this process arrive through `publish`; changes committed by another replica arrive through
 * `publishRemote`, fed by the one shared watcher of this process (action-watcher.ts), so no
 * waiter ever reads the store on its own.
 */
export class ActionEvents {
  /** Names this process in change notifications, so it skips the echo of its own writes. */
  readonly origin = randomUUID();
  readonly #byId = new Map<string, Set<Listener>>();
  readonly #local = new Set<Listener>();
  readonly #every = new Set<Listener>();

  /** A change this process committed. */
  publish(record: ActionRecord): void {
    this.#wake(record);
    for (const l of this.#local) l(record);
  }

  /**
   * A change another replica committed (or one the safety poll re-read). Reaches waiters and
   * `subscribeEvery`, not `subscribeAll`: counting it there would count it on every replica.
   */
  publishRemote(record: ActionRecord): void {
    this.#wake(record);
  }

  #wake(record: ActionRecord): void {
    for (const l of this.#byId.get(record.id) ?? []) l(record);
    for (const l of this.#every) l(record);
  }

  /** Changes to one request, wherever committed. Returns the unsubscribe function. */
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

  /** Every change this process committed (metrics subscribe here). */
  subscribeAll(listener: Listener): () => void {
    this.#local.add(listener);
    return () => this.#local.delete(listener);
  }

  /** Every change, wherever committed (the reviewer inbox's stream). */
  subscribeEvery(listener: Listener): () => void {
    this.#every.add(listener);
    return () => this.#every.delete(listener);
  }

  /** Whether a change to `id` made elsewhere is worth reading: someone here would hear it. */
  wants(id: string): boolean {
    return this.#every.size > 0 || this.#byId.has(id);
  }

  /** Whether anyone in this process listens for changes made elsewhere. */
  get listening(): boolean {
    return this.#every.size > 0 || this.#byId.size > 0;
  }

  /** The requests someone in this process is waiting on. */
  watchedIds(): string[] {
    return [...this.#byId.keys()];
  }

  get waiterCount(): number {
    let n = 0;
    for (const s of this.#byId.values()) n += s.size;
    return n;
  }
}
