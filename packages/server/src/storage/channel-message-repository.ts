import type { Kysely } from 'kysely';
import type { JsonValue } from '@countersign/core';
import type { Database } from './schema.js';

/** The `channel_messages` table (migration 0003). */
export interface ChannelMessagesTable {
  channel: string;
  action_id: string;
  /** JSON text. */
  state: string;
  updated_at: number;
}

type WithMessages = Kysely<Database & { channel_messages: ChannelMessagesTable }>;

/**
 * The only code that reads or writes `channel_messages`: what Slack or Teams needs to update a
 * message in place on later events, one row per (channel, request), shared by replicas.
 */
export class ChannelMessageRepository {
  readonly #db: WithMessages;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<{ channel_messages: ChannelMessagesTable }>();
  }

  async state(channel: string, actionId: string): Promise<JsonValue | undefined> {
    const row = await this.#db
      .selectFrom('channel_messages')
      .select('state')
      .where('channel', '=', channel)
      .where('action_id', '=', actionId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.state) as JsonValue) : undefined;
  }

  /** Inserts or replaces the state of `channel` for one request. */
  async saveState(channel: string, actionId: string, value: JsonValue, at: number): Promise<void> {
    const state = JSON.stringify(value);
    await this.#db
      .insertInto('channel_messages')
      .values({ channel, action_id: actionId, state, updated_at: at })
      .onConflict((oc) =>
        oc.columns(['channel', 'action_id']).doUpdateSet({ state, updated_at: at }),
      )
      .execute();
  }
}
