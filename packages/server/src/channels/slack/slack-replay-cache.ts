import type { SlackReplayRepository } from '../../storage/slack-replay-repository.js';

/**
 * Each Slack payload is accepted once. A valid signature proves Slack sent the bytes, not that
 * they are new: anyone who captures a signed request (a logging proxy, a leaked HAR file) could
 * post it again, and a replayed Approve would be a vote nobody cast. The signature check
 * already refuses timestamps more than five minutes away, so a captured request is replayable
 * only until its timestamp + 5 min; remembering every accepted signature until then (plus
 * clock slack) closes the window completely.
 *
 * The memory is the `kv` table (storage/slack-replay-repository.ts), not the process: every replica behind a load balancer and a
 * restarted gateway see the same entries. It stays small: only verified requests are added
 * (an attacker cannot forge one), each lives about ten minutes, and expired ones are purged
 * as new ones arrive.
 */
export class SlackReplayCache {
  #nextPurgeAt = 0;

  constructor(
    private readonly seen: SlackReplayRepository,
    private readonly now: () => number = Date.now,
    private readonly purgeEveryMs = 30_000,
  ) {}

  /**
   * True the first time `id` (an HTTP request's signature, a Socket Mode envelope id) is seen;
   * false for a replay. Remembered until `keepUntilMs`.
   */
  async accept(id: string, keepUntilMs: number): Promise<boolean> {
    await this.purge();
    return this.seen.remember(id, keepUntilMs);
  }

  private async purge(): Promise<void> {
    const now = this.now();
    if (now < this.#nextPurgeAt) return;
    this.#nextPurgeAt = now + this.purgeEveryMs;
    await this.seen.forgetExpired(now);
  }
}
