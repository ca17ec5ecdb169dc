import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.js';

// Keys sort between these two, so the purge is a range scan on the primary key.
const PREFIX = 'slack:seen:';
const PREFIX_END = 'slack:seen;';
// Expiry as zero-padded text: `kv.value` is text, and equal-width digits sort like numbers.
const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

/**
 * Each Slack payload is accepted once. A valid signature proves Slack sent the bytes, not that
 * they are new: anyone who captures a signed request (a logging proxy, a leaked HAR file) could
 * post it again, and a replayed Approve would be a vote nobody cast. The signature check
 * already refuses timestamps more than five minutes away, so a captured request is replayable
 * only until its timestamp + 5 min; remembering every accepted signature until then (plus
 * clock slack) closes the window completely.
 *
 * The memory is the `kv` table, not the process: every replica behind a load balancer and a
 * restarted gateway see the same entries. It stays small: only verified requests are added
 * (an attacker cannot forge one), each lives about ten minutes, and expired ones are purged
 * as new ones arrive.
 */
export class SlackReplayCache {
  #nextPurgeAt = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
    private readonly purgeEveryMs = 30_000,
  ) {}

  /**
   * True the first time `id` (an HTTP request's signature, a Socket Mode envelope id) is seen;
   * false for a replay. Remembered until `keepUntilMs`.
   */
  async accept(id: string, keepUntilMs: number): Promise<boolean> {
    await this.purge();
    const result = await this.db
      .insertInto('kv')
      .values({ key: `${PREFIX}${id}`, value: pad(keepUntilMs) })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  private async purge(): Promise<void> {
    const now = this.now();
    if (now < this.#nextPurgeAt) return;
    this.#nextPurgeAt = now + this.purgeEveryMs;
    await this.db
      .deleteFrom('kv')
      .where('key', '>', PREFIX)
      .where('key', '<', PREFIX_END)
      .where('value', '<', pad(now))
      .execute();
  }
}
