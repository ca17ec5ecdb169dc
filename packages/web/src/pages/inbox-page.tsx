import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../api/session';
import type { ActionList, ActionView, Batch, BatchList } from '../api/types';
import { ActionCard } from '../components/action-card';
import { BatchCard, BatchChangedNotice, type BatchOutcome } from '../components/batch-card';
import { Loading } from '../components/loading';
import { ProblemMessage } from '../components/problem-message';
import { ProposedNotice } from '../components/proposed-notice';
import { useEventSource } from '../hooks/use-event-source';
import { useNow } from '../hooks/use-now';
import { useTitle } from '../hooks/use-title';

/** Soonest deadline first: what expires first needs a decision first. */
function bySoonestExpiry(a: ActionView, b: ActionView): number {
  const ea = a.expires_at === null ? Infinity : Date.parse(a.expires_at);
  const eb = b.expires_at === null ? Infinity : Date.parse(b.expires_at);
  return ea - eb || a.id.localeCompare(b.id);
}

// Another replica's changes do not reach this replica's stream (docs/web.md): re-read anyway.
const REFRESH_MS = 30_000;

/** What the signed-in person may review now, live. */
export function InboxPage() {
  useTitle('Inbox');
  const session = useSession();
  const now = useNow();
  const [items, setItems] = useState<ActionView[] | null>(null);
  const [batches, setBatches] = useState<Batch[]>([]);
  const [outcome, setOutcome] = useState<BatchOutcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [announcement, setAnnouncement] = useState('');
  const known = useRef<Set<string> | null>(null);

  const load = useCallback(async () => {
    try {
      const [list, grouped] = await Promise.all([
        api<ActionList>('/v1/actions?status=pending&limit=200'),
        api<BatchList>('/v1/batches'),
      ]);
      const pending = list.items.filter((a) => a.status === 'pending').sort(bySoonestExpiry);
      // Announce arrivals (not the first load) to screen readers, politely.
      const seen = known.current;
      if (seen !== null) {
        const fresh = pending.filter((a) => !seen.has(a.id));
        if (fresh.length === 1 && fresh[0] !== undefined)
          setAnnouncement(`New request: ${fresh[0].action} on ${fresh[0].resource}`);
        else if (fresh.length > 1) setAnnouncement(`${fresh.length} new requests`);
      }
      known.current = new Set(pending.map((a) => a.id));
      setItems(pending);
      setBatches(grouped.items);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);

  // Coalesce bursts of events (a vote and a decision arrive together) into one read.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const reload = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void load(), 150);
  }, [load]);

  useEffect(() => {
    void load();
    const interval = setInterval(() => void load(), REFRESH_MS);
    return () => {
      clearInterval(interval);
      clearTimeout(timer.current);
    };
  }, [load]);

  useEventSource('/v1/inbox/events', { ready: reload, change: reload });

  const onOutcome = useCallback(
    (o: BatchOutcome) => {
      setOutcome(o);
      void load();
    },
    [load],
  );

  // A request in a batch card is listed there only, not a second time below (docs/web.md).
  const inBatch = new Set(batches.flatMap((b) => b.items.map((i) => i.id)));
  const singles = items?.filter((a) => !inBatch.has(a.id)) ?? [];

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Inbox</h1>
        <p className="muted">
          {session.user?.admin
            ? 'Every pending request (you are an admin; you can vote only where your groups review).'
            : 'Requests you may approve or deny now, the soonest to expire first.'}{' '}
          <span className="live-dot" aria-hidden="true" /> Live
        </p>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      <ProblemMessage error={error} />
      {outcome?.kind === 'changed' && <BatchChangedNotice outcome={outcome} />}
      {outcome?.kind === 'decided' && (
        <p className="verified" role="status">
          {outcome.vote === 'approve' ? 'Approved' : 'Denied'}: your vote counted on {outcome.count}{' '}
          requests, each on its own.
        </p>
      )}
      <ProposedNotice />
      {items === null ? (
        error ? null : (
          <Loading what="your inbox" />
        )
      ) : items.length === 0 && batches.length === 0 ? (
        <div className="empty card">
          <p>
            <strong>Nothing to review.</strong>
          </p>
          <p className="muted">New requests appear here as they arrive.</p>
        </div>
      ) : (
        <>
          {batches.length > 0 && (
            <ul className="batch-list" aria-label={`${batches.length} batches of alike requests`}>
              {batches.map((b) => (
                <li key={b.key}>
                  <BatchCard batch={b} now={now} onOutcome={onOutcome} />
                </li>
              ))}
            </ul>
          )}
          {singles.length > 0 && (
            <ul className="card-list" aria-label={`${singles.length} pending requests`}>
              {singles.map((a) => (
                <li key={a.id}>
                  <ActionCard action={a} now={now} siblings={items} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </>
  );
}
