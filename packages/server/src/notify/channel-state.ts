import type { JsonValue } from '@countersign/core';
import type { ChannelMessageRepository } from '../storage/channel-message-repository.js';

/**
 * A channel's memory of one request: what Slack or Teams needs to update a message in place
 * on later events (channel id + message ts, conversation id + activity id). Stored in
 * `channel_messages` (storage/channel-message-repository.ts), keyed by (channel, action_id),
 * so it survives restarts and is shared by replicas.
 */
export interface ChannelState {
  get(): Promise<JsonValue | undefined>;
  set(value: JsonValue): Promise<void>;
}

/** Hands each delivery the state of its (channel, request). */
export class ChannelStateStore {
  constructor(
    private readonly repo: ChannelMessageRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** The state of `channel` for one request; a request-less delivery gets a no-op state. */
  for(channel: string, actionId: string | null): ChannelState {
    if (actionId === null) {
      return { get: () => Promise.resolve(undefined), set: () => Promise.resolve() };
    }
    return {
      get: () => this.repo.state(channel, actionId),
      set: (value) => this.repo.saveState(channel, actionId, value, this.now()),
    };
  }
}
