/**
 * One kind of periodic work on its own interval: its jobs run in sequence each tick, and a
 * slow job delays only the jobs of this loop. Work lives in the database, not in memory, so a
 * restart loses nothing: the first tick after start picks up everything that came due while
 * the gateway was down.
 */
export class Loop {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly tickMs: number,
    private readonly jobs: Array<() => Promise<unknown>>,
    private readonly onError: (e: unknown) => void,
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.tickMs);
    this.#timer.unref();
    void this.tick();
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
    this.#timer = undefined;
    await this.#running;
  }
}
