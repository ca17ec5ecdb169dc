/**
 * Work that runs after Slack has its answer: Slack wants every interaction acknowledged within
 * three seconds (https://docs.slack.dev/interactivity/handling-user-interaction), so the vote
 * is recorded before the acknowledgement and the courtesy calls (an ephemeral note, opening
 * the deny modal) run afterwards. Tracked so shutdown and tests can wait for them.
 */
export class SlackFollowUps {
  readonly #running = new Set<Promise<void>>();

  constructor(private readonly onError: (e: unknown) => void) {}

  run(work: () => Promise<void>): void {
    const p: Promise<void> = work()
      .catch(this.onError)
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
