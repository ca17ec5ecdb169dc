import type { JsonValue } from '@countersign/core';

/** One message posted for a request: where it is, so it can be updated in place. */
export interface SlackMessageRef {
  /** The destination it was posted for: `channel:<configured channel>` or `dm:<user id>`. */
  key: string;
  /** The conversation id Slack answered with (chat.update needs the id, not a #name). */
  channel: string;
  ts: string;
  /** Event ids whose thread reply (escalation, expiry) is already under this message. */
  notes?: string[];
}

/**
 * What the Slack channel remembers about one request (`channel_messages`, via
 * `DeliveryContext.state`): every message it posted, and the destinations Slack refused for
 * good (a deleted channel), so later events neither post twice nor retry those forever.
 */
export interface SlackMessageState {
  messages: SlackMessageRef[];
  refused: Array<{ key: string; error: string }>;
}

/** Reads the stored state; anything unexpected (an older shape) counts as nothing posted. */
export function readMessageState(value: JsonValue | undefined): SlackMessageState {
  const state: SlackMessageState = { messages: [], refused: [] };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return state;
  const messages = value.messages;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (typeof m !== 'object' || m === null || Array.isArray(m)) continue;
      const { key, channel, ts, notes } = m;
      if (typeof key !== 'string' || typeof channel !== 'string' || typeof ts !== 'string')
        continue;
      state.messages.push({
        key,
        channel,
        ts,
        notes: Array.isArray(notes) ? notes.filter((n) => typeof n === 'string') : [],
      });
    }
  }
  const refused = value.refused;
  if (Array.isArray(refused)) {
    for (const r of refused) {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) continue;
      if (typeof r.key === 'string' && typeof r.error === 'string') {
        state.refused.push({ key: r.key, error: r.error });
      }
    }
  }
  return state;
}

export function writeMessageState(state: SlackMessageState): JsonValue {
  return {
    messages: state.messages.map((m) => ({ ...m, notes: m.notes ?? [] })),
    refused: state.refused,
  };
}
