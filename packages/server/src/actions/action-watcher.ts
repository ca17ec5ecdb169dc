import type { ActionRecord } from '@countersign/core';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { ActionEvents } from './action-events.js';

/**
 * A safety net, not the path: the change feed wakes waiters within milliseconds, and this
 * poll only bounds the delay of a notification lost while the listening connection was down.
 */
export const SAFETY_POLL_MS = 15_000;

/**
 * How far each safety poll's window reaches back before the previous poll's clock reading.
 * A change is found if its `updated_at` falls in the window; `updated_at` is written by the
 * replica's own clock when its transaction runs, so the overlap covers a writer whose clock
 * runs up to this much behind the database's, plus the time from its write to its commit
 * (bounded by the pool's statement and idle-in-transaction timeouts).
 */
export const POLL_OVERLAP_MS = 60_000;

/** Ids per read: keeps one `IN (…)` list well under any driver's parameter limit. */
const READ_CHUNK = 500;

export interface ActionWatcherDeps {
  feed: ChangeFeed;
  events: ActionEvents;
  findByIds(ids: readonly string[]): Promise<ActionRecord[]>;
  /**
   * Requests changed (id, updated_at) since a previous clock reading minus `overlapMs`, and
   * the reading to pass next (storage/action-repository.ts `changedSince`): one query,
   * whatever the number of waiters.
   */
  changedSince(
    since: number | undefined,
    overlapMs: number,
  ): Promise<{ now: number; changes: ReadonlyArray<{ id: string; updated_at: number }> }>;
  /** Safety poll interval (default {@link SAFETY_POLL_MS}). */
  pollMs?: number | undefined;
  onError?: (e: unknown) => void;
}

/**
 * The one watcher of this process for changes committed elsewhere. It reads each changed
 * request once, whatever the number of its waiters, and publishes it on the in-process bus;
 * waiters (long-poll, SSE, the inbox stream) only listen to the bus. Store queries while
 * idle: one per safety poll ("what changed since the last one"), and only when someone
 * waits; its cost follows the changes of the window, not the number of waiters.
 */
export class ActionWatcher {
  readonly #pending = new Set<string>();
  #scheduled = false;
  readonly #poll: NodeJS.Timeout;
  /** The previous safety poll's clock reading; undefined while nobody waits. */
  #since: number | undefined;
  /**
   * The version (`updated_at`) of each request changed within the current window that this
   * watcher has already read or passed over: overlapping windows return a change several times,
   * but it is read once.
   */
  readonly #seen = new Map<string, number>();

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
    this.#poll = setInterval(() => void this.poll(), deps.pollMs ?? SAFETY_POLL_MS);
    this.#poll.unref();
  }

  /**
   * The safety poll: asks the store which requests changed since the previous poll (with an
   * overlap, `POLL_OVERLAP_MS`) and re-reads those someone here waits on. Nobody waiting: no
   * query, and the next window starts afresh (a new waiter reads its request itself).
   */
  async poll(): Promise<void> {
    const { events } = this.deps;
    if (!events.listening) {
      this.#since = undefined;
      this.#seen.clear();
      return;
    }
    let window: Awaited<ReturnType<ActionWatcherDeps['changedSince']>>;
    try {
      window = await this.deps.changedSince(this.#since, POLL_OVERLAP_MS);
    } catch (e) {
      this.deps.onError?.(e); // the window stays where it was: the next poll covers this one
      return;
    }
    const from = (this.#since ?? window.now) - POLL_OVERLAP_MS;
    this.#since = window.now;
    const fresh: string[] = [];
    for (const { id, updated_at } of window.changes) {
      // A change nobody here waits on is passed over for good: whoever waits on it later
      // reads the request itself when it starts waiting.
      if (this.#seen.get(id) !== updated_at && events.wants(id)) fresh.push(id);
      this.#seen.set(id, updated_at);
    }
    for (const [id, at] of this.#seen) if (at < from) this.#seen.delete(id);
    await this.#read(fresh);
  }

  /**
   * Re-reads every request someone here waits on, in as few queries as the chunking allows:
   * after the listening connection was lost (its notifications may be gone), not on a timer.
   */
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
      for (const r of records) {
        if (this.#since !== undefined) this.#seen.set(r.id, r.updated_at);
        this.deps.events.publishRemote(r);
      }
    }
  }
}
