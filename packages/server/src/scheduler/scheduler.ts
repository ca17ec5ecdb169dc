import { Loop } from './loop.js';

/** The gateway's periodic work, by loop. */
export interface ScheduledJobs {
  /** Expiry and escalation: deadlines, the only work with a promise of timeliness. */
  timers: Array<() => Promise<unknown>>;
  /** Milliseconds until the earliest deadline: the timers also wake then, not only each tick. */
  untilDeadline?: () => Promise<number | undefined>;
  /** Notices outbox rows that came due; the delivery worker refills its own slots between. */
  delivery: Array<() => Promise<unknown>>;
  /** Checkpoints, purges: may be slow, and nothing waits on them. */
  housekeeping: Array<() => Promise<unknown>>;
}

/**
 * Runs each kind of work on its own loop, so a slow webhook, a backlog of 10^5 outbox rows or a
 * long checkpoint never delays an expiry or an escalation (issue 13: they used to run one
 * after another in a single tick).
 */
export class Scheduler {
  readonly #loops: Loop[];

  constructor(tickMs: number, jobs: ScheduledJobs, onError: (e: unknown) => void) {
    this.#loops = [
      new Loop(tickMs, jobs.timers, onError, jobs.untilDeadline),
      new Loop(tickMs, jobs.delivery, onError),
      new Loop(tickMs, jobs.housekeeping, onError),
    ];
  }

  start(): void {
    for (const loop of this.#loops) loop.start();
  }

  /** One tick of every loop, side by side (tests drive time with this). */
  async tick(): Promise<void> {
    await Promise.all(this.#loops.map((l) => l.tick()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#loops.map((l) => l.stop()));
  }
}
