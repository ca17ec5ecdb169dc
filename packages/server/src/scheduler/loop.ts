/**
 * One kind of periodic work on its own interval: its jobs run in sequence each tick, and a
 * slow job delays only the jobs of this loop. Work lives in the database, not in memory, so a
 * restart loses nothing: the first tick after start picks up everything that came due while
 * the gateway was down.
 */
export class Loop {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  #early: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs: number,
    private readonly jobs: Array<() => Promise<unknown>>,
    private readonly onError: (e: unknown) => void,
    /**
     * Milliseconds until this loop's next work is due, if known (the timers: the earliest
     * deadline): when it comes before the next tick, one extra tick runs then, so work due
     * between two ticks waits for neither.
     */
    private readonly untilDue?: () => Promise<number | undefined>,
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#regularTick(), this.tickMs);
    this.#timer.unref();
    void this.#regularTick();
  }

  /** A tick of the interval, then (with `untilDue`) at most one early tick before the next. */
  async #regularTick(): Promise<void> {
    await this.tick();
    if (!this.untilDue || !this.#timer || this.#early) return;
    let ms: number | undefined;
    try {
      ms = await this.untilDue();
    } catch (e) {
      this.onError(e);
      return;
    }
    // Due already (not firable, or another replica holds it): the next tick, not a spin.
    if (ms === undefined || ms <= 0 || ms >= this.tickMs || !this.#timer || this.#early) return;
    this.#early = setTimeout(() => {
      this.#early = undefined;
      void this.tick();
    }, ms);
    this.#early.unref();
  }

  /** Runs every job once; overlapping ticks are skipped, never stacked. */
  async tick(): Promise<void> {
    if (this.#running) return this.#running;
    this.#running = (async () => {
      for (const job of this.jobs) {
        try {
          await job();
        } catch (e) {
          this.onError(e);
        }
      }
    })();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#early);
    this.#timer = undefined;
    this.#early = undefined;
    await this.#running;
  }
}
