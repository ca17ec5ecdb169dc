import type { Kysely } from 'kysely';
import type { JsonValue } from '@countersign/core';
import type { Database } from '../storage/schema.js';

/**
 * A channel's memory of one request: what Slack or Teams needs to update a message in place
 * on later events (channel id + message ts, conversation id + activity id). Stored in
 * `channel_messages`, keyed by (channel, action_id), so it survives restarts and is shared
 * by replicas.
 */
export interface ChannelState {
  get(): Promise<JsonValue | undefined>;
  set(value: JsonValue): Promise<void>;
}

/** The `channel_messages` table (migration 0003). */
export interface ChannelMessagesTable {
  channel: string;
  action_id: string;
  /** JSON text. */
  state: string;
  updated_at: number;
}

type WithState = Kysely<Database & { channel_messages: ChannelMessagesTable }>;

/** The store behind `ChannelState`, one row per (channel, request). */
export class ChannelStateStore {
  readonly #db: WithState;

  constructor(
    db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {
    this.#db = db.withTables<{ channel_messages: ChannelMessagesTable }>();
  }

  /** The state of `channel` for one request; a request-less delivery gets a no-op state. */
  for(channel: string, actionId: string | null): ChannelState {
    if (actionId === null) {
      return { get: () => Promise.resolve(undefined), set: () => Promise.resolve() };
    }
    return {
      get: async () => {
        const row = await this.#db
          .selectFrom('channel_messages')
          .select('state')
          .where('channel', '=', channel)
          .where('action_id', '=', actionId)
          .executeTakeFirst();
        return row ? (JSON.parse(row.state) as JsonValue) : undefined;
      },
      set: async (value) => {
        const state = JSON.stringify(value);
        const updated_at = this.now();
        await this.#db
          .insertInto('channel_messages')
          .values({ channel, action_id: actionId, state, updated_at })
          .onConflict((oc) =>
            oc.columns(['channel', 'action_id']).doUpdateSet({ state, updated_at }),
          )
          .execute();
      },
    };
  }
}
