import type { ActionRecord } from '@countersign/core';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { ActionEvents } from './action-events.js';

/**
 * A safety net, not the path: the change feed wakes waiters within milliseconds, and this
 * poll only bounds the delay of a notification lost while the listening connection was down.
 */
export const SAFETY_POLL_MS = 15_000;

/** Ids per read: keeps one `IN (…)` list well under any driver's parameter limit. */
const READ_CHUNK = 500;

export interface ActionWatcherDeps {
  feed: ChangeFeed;
  events: ActionEvents;
  findByIds(ids: readonly string[]): Promise<ActionRecord[]>;
  /** Safety poll interval (default {@link SAFETY_POLL_MS}). */
  pollMs?: number | undefined;
  onError?: (e: unknown) => void;
}

/**
 * The one watcher of this process for changes committed elsewhere. It reads each changed
 * request once, whatever the number of its waiters, and publishes it on the in-process bus;
 * waiters (long-poll, SSE, the inbox stream) only listen to the bus. Store queries while
 * idle: one per safety poll, and only when someone waits.
 */
export class ActionWatcher {
  readonly #pending = new Set<string>();
  #scheduled = false;
  readonly #poll: NodeJS.Timeout;

  constructor(private readonly deps: ActionWatcherDeps) {
    deps.feed.onChange((ids) => {
      for (const id of ids) if (deps.events.wants(id)) this.#pending.add(id);
      if (this.#pending.size > 0 && !this.#scheduled) {
        this.#scheduled = true;
        // Notifications of one burst arrive in one turn: one read for all of them.
        setImmediate(() => void this.#drain());
      }
    });
    deps.feed.onResync(() => void this.recheck());
    this.#poll = setInterval(() => void this.recheck(), deps.pollMs ?? SAFETY_POLL_MS);
    this.#poll.unref();
  }

  /** Re-reads every request someone here waits on, in as few queries as the chunking allows. */
  async recheck(): Promise<void> {
    await this.#read(this.deps.events.watchedIds());
  }

  close(): void {
    clearInterval(this.#poll);
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    const ids = [...this.#pending];
    this.#pending.clear();
    await this.#read(ids);
  }

  async #read(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += READ_CHUNK) {
      let records: ActionRecord[];
      try {
        records = await this.deps.findByIds(ids.slice(i, i + READ_CHUNK));
      } catch (e) {
        this.deps.onError?.(e); // the next notification or safety poll reads it again
        continue;
      }
      for (const r of records) this.deps.events.publishRemote(r);
    }
  }
}
