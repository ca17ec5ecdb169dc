import type { JsonValue } from '@countersign/core';

/** One card posted for a request: where it is, so it can be replaced in place. */
export interface TeamsCardRef {
  /** The destination it was posted for: `channel:<19:…>` or `dm:<user id>`. */
  key: string;
  /** The conversation the connector answered with (a channel thread: `19:…;messageid=…`). */
  conversation_id: string;
  activity_id: string;
}

/**
 * What the Teams channel remembers about one request (`channel_messages`, via
 * `DeliveryContext.state`): every card it posted, and the destinations Teams refused for good
 * (the app removed from a team, a user who blocked the bot), so later events neither post
 * twice nor retry those forever.
 */
export interface TeamsCardState {
  cards: TeamsCardRef[];
  refused: Array<{ key: string; error: string }>;
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the stored state; anything unexpected (an older shape) counts as nothing posted. */
export function readCardState(value: JsonValue | undefined): TeamsCardState {
  const state: TeamsCardState = { cards: [], refused: [] };
  if (!isObject(value)) return state;
  for (const c of Array.isArray(value.cards) ? value.cards : []) {
    if (!isObject(c)) continue;
    const { key, conversation_id: conversation, activity_id: activity } = c;
    if (typeof key === 'string' && typeof conversation === 'string' && typeof activity === 'string')
      state.cards.push({ key, conversation_id: conversation, activity_id: activity });
  }
  for (const r of Array.isArray(value.refused) ? value.refused : []) {
    if (isObject(r) && typeof r.key === 'string' && typeof r.error === 'string') {
      state.refused.push({ key: r.key, error: r.error });
    }
  }
  return state;
}

export function writeCardState(state: TeamsCardState): JsonValue {
  return {
    cards: state.cards.map((c) => ({ ...c })),
    refused: state.refused.map((r) => ({ ...r })),
  };
}
