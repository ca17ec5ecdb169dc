import { useEffect, useState, type FormEvent } from 'react';
import { api, query } from '../api/client';
import { STATUSES, type ActionList, type ActionView } from '../api/types';
import { ActionCard } from '../components/action-card';
import { Loading } from '../components/loading';
import { ProblemMessage } from '../components/problem-message';
import { useNow } from '../hooks/use-now';
import { useTitle } from '../hooks/use-title';
import { navigate, useLocation } from '../router';

const FIELDS = [
  'status',
  'action',
  'environment',
  'agent',
  'since',
  'until',
  'break_glass',
] as const;
type Filters = Record<(typeof FIELDS)[number], string>;

function filtersFrom(search: URLSearchParams): Filters {
  const f = {} as Filters;
  for (const k of FIELDS) f[k] = search.get(k) ?? '';
  return f;
}

/** A date input's day as the API's RFC 3339 bound: the start (since) or end (until) of that day, local time. */
function bound(day: string, end: boolean): string | undefined {
  if (day === '') return undefined;
  const d = new Date(`${day}T00:00:00`);
  if (end) d.setDate(d.getDate() + 1);
  return d.toISOString();
}

/** Past and present requests this person could review (all, for an admin), filtered. */
export function HistoryPage() {
  useTitle('History');
  const now = useNow();
  const { search } = useLocation();
  const applied = filtersFrom(search);
  const [form, setForm] = useState<Filters>(applied);
  const [items, setItems] = useState<ActionView[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  const url = (after: string | null) =>
    `/v1/actions${query({
      status: applied.status,
      action: applied.action.trim(),
      environment: applied.environment.trim(),
      agent: applied.agent.trim(),
      since: bound(applied.since, false),
      until: bound(applied.until, true),
      break_glass: applied.break_glass === 'true' ? true : undefined,
      limit: 50,
      cursor: after,
    })}`;

  // The shell mounts a fresh page per query string (key): this runs once per filter.
  const first = url(null);
  useEffect(() => {
    api<ActionList>(first).then((list) => {
      setItems(list.items);
      setCursor(list.next_cursor);
    }, setError);
  }, [first]);

  const more = async () => {
    setLoadingMore(true);
    try {
      const list = await api<ActionList>(url(cursor));
      setItems((old) => [...(old ?? []), ...list.items]);
      setCursor(list.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/history${query(form)}`);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>History</h1>
        <p className="muted">Every request you could review, newest first.</p>
      </div>
      <form className="filters card" onSubmit={submit} aria-label="Filters">
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" value={form.status} onChange={set('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-action">Action</label>
          <input
            id="f-action"
            value={form.action}
            onChange={set('action')}
            placeholder="db.export"
          />
        </div>
        <div className="field">
          <label htmlFor="f-env">Environment</label>
          <input
            id="f-env"
            value={form.environment}
            onChange={set('environment')}
            placeholder="production"
          />
        </div>
        <div className="field">
          <label htmlFor="f-agent">Agent</label>
          <input id="f-agent" value={form.agent} onChange={set('agent')} />
        </div>
        <div className="field">
          <label htmlFor="f-since">From</label>
          <input id="f-since" type="date" value={form.since} onChange={set('since')} />
        </div>
        <div className="field">
          <label htmlFor="f-until">To</label>
          <input id="f-until" type="date" value={form.until} onChange={set('until')} />
        </div>
        <div className="field checkbox">
          <input
            id="f-bg"
            type="checkbox"
            checked={form.break_glass === 'true'}
            onChange={(e) =>
              setForm((f) => ({ ...f, break_glass: e.target.checked ? 'true' : '' }))
            }
          />
          <label htmlFor="f-bg">Break-glass only</label>
        </div>
        <div className="field actions">
          <button type="submit" className="button">
            Apply filters
          </button>
        </div>
      </form>
      <ProblemMessage error={error} />
      {items === null ? (
        error ? null : (
          <Loading what="history" />
        )
      ) : items.length === 0 ? (
        <p className="empty card">No requests match these filters.</p>
      ) : (
        <>
          <ul className="card-list" aria-label="Requests">
            {items.map((a) => (
              <li key={a.id}>
                <ActionCard action={a} now={now} siblings={items} showStatus />
              </li>
            ))}
          </ul>
          {cursor !== null && (
            <button
              type="button"
              className="button secondary"
              onClick={() => void more()}
              disabled={loadingMore}
            >
              {loadingMore ? 'Loading…' : 'Load more'}
            </button>
          )}
        </>
      )}
    </>
  );
}
