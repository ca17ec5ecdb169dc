/**
 * Cross-replica change notifications. A transaction that changes a request also queues a
 * notification on {@link CHANGE_CHANNEL}; PostgreSQL delivers it to every listening session
 * only when that transaction commits, and never if it rolls back
 * (https://www.postgresql.org/docs/current/sql-notify.html). Each process keeps one listening
 * connection (pg-change-feed.ts) whatever the number of its waiters. SQLite has one writer
 * process and no such mechanism: its feed is silent (the in-process bus carries every change).
 */
export const CHANGE_CHANNEL = 'countersign_actions';

/**
 * The payload limit is 8000 bytes; ids are at most ~40 characters, so 150 of them and an
 * origin always fit.
 */
const IDS_PER_PAYLOAD = 150;

export interface ChangeFeed {
  /** Ids committed by another process (a process never hears its own `origin`). */
  onChange(listener: (ids: string[]) => void): void;
  /** Called after the listening connection came back: notifications may have been missed. */
  onResync(listener: () => void): void;
  /** Announces changes already committed outside `ActionTx` (a grant's redemption). */
  announce(origin: string, ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** SQLite: one process writes the file and its in-process bus hears every change. */
export const silentChangeFeed: ChangeFeed = {
  onChange: () => undefined,
  onResync: () => undefined,
  announce: async () => undefined,
  close: async () => undefined,
};

/** `origin ids,…` payloads, each under PostgreSQL's 8000-byte limit. */
export function encodeChanges(origin: string, ids: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_PAYLOAD)
    out.push(`${origin} ${ids.slice(i, i + IDS_PER_PAYLOAD).join(',')}`);
  return out;
}

/** The inverse of `encodeChanges`; anything else on the channel yields no ids. */
export function decodeChanges(payload: string): { origin: string; ids: string[] } {
  const space = payload.indexOf(' ');
  if (space <= 0) return { origin: '', ids: [] };
  return {
    origin: payload.slice(0, space),
    ids: payload
      .slice(space + 1)
      .split(',')
      .filter((id) => id.length > 0),
  };
}
