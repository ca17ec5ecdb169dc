import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

// Keys sort between these two, so the purge is a range scan on the primary key.
const PREFIX = 'slack:seen:';
const PREFIX_END = 'slack:seen;';
// Expiry as zero-padded text: `kv.value` is text, and equal-width digits sort like numbers.
const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

/**
 * The Slack payloads already accepted (channels/slack/slack-replay-cache.ts): `kv` rows
 * `slack:seen:<id>` whose value is the time they may be forgotten, so every replica and a
 * restarted gateway see the same ones.
 */
export class SlackReplayRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records `id` until `keepUntilMs`; false if it was recorded already (a replay). */
  async remember(id: string, keepUntilMs: number): Promise<boolean> {
    const result = await this.db
      .insertInto('kv')
      .values({ key: `${PREFIX}${id}`, value: pad(keepUntilMs) })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Deletes the entries whose keep-until time is before `now`. */
  async forgetExpired(now: number): Promise<void> {
    await this.db
      .deleteFrom('kv')
      .where('key', '>', PREFIX)
      .where('key', '<', PREFIX_END)
      .where('value', '<', pad(now))
      .execute();
  }
}
