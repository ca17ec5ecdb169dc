import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, query } from '../api/client';
import type { AuditEntries, JsonObject } from '../api/types';
import { formatTime } from '../format';
import { Link } from '../router';
import { JsonBlock } from './json-block';
import { Loading } from './loading';
import { ProblemMessage } from './problem-message';

const PAGE = 25;

interface ParsedEntry {
  index: number;
  at: string;
  type: string;
  actor: { kind: string; id: string };
  request_id?: string;
  data: JsonObject;
}

/** Pages through the log, newest page first, with the exact entries that were hashed. */
export function EntryBrowser() {
  const [page, setPage] = useState<AuditEntries | null>(null);
  const [jump, setJump] = useState('');
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    (from: number | null) =>
      // The newest page: ask for the size first (an empty read), then the last PAGE entries.
      (from === null
        ? api<AuditEntries>(`/v1/audit/entries${query({ from: 0, to: 0 })}`).then((head) =>
            Math.max(0, head.size - PAGE),
          )
        : Promise.resolve(from)
      )
        .then((start) =>
          api<AuditEntries>(`/v1/audit/entries${query({ from: start, to: start + PAGE })}`),
        )
        .then((p) => {
          setPage(p);
          setError(null);
        })
        .catch(setError),
    [],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  const go = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(jump);
    if (Number.isInteger(n) && n >= 0) void load(Math.max(0, n - (n % PAGE)));
  };

  const entries: ParsedEntry[] = (page?.entries ?? [])
    .map((text) => JSON.parse(text) as ParsedEntry)
    .reverse();
  return (
    <section className="card" aria-labelledby="entries">
      <h2 id="entries">Entries</h2>
      <ProblemMessage error={error} />
      {page === null ? (
        error ? null : (
          <Loading what="entries" />
        )
      ) : (
        <>
          <div className="pager">
            <button
              type="button"
              className="button secondary"
              disabled={page.to >= page.size}
              onClick={() => void load(Math.min(page.to, Math.max(0, page.size - PAGE)))}
            >
              Newer
            </button>
            <span role="status">
              #{page.from}–#{Math.max(page.from, page.to - 1)} of {page.size}
            </span>
            <button
              type="button"
              className="button secondary"
              disabled={page.from === 0}
              onClick={() => void load(Math.max(0, page.from - PAGE))}
            >
              Older
            </button>
            <form onSubmit={go} className="inline-form">
              <label htmlFor="jump">Go to entry</label>
              <input
                id="jump"
                inputMode="numeric"
                pattern="[0-9]*"
                value={jump}
                onChange={(e) => setJump(e.target.value)}
                size={8}
              />
              <button type="submit" className="button secondary">
                Go
              </button>
            </form>
          </div>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit entries">
            <table className="entries">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Request</th>
                  <th scope="col">Data</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.index}>
                    <td>{e.index}</td>
                    <td>
                      <time dateTime={e.at}>{formatTime(e.at, true)}</time>
                    </td>
                    <td>
                      <code>{e.type}</code>
                    </td>
                    <td>
                      {e.actor.kind} {e.actor.id}
                    </td>
                    <td>
                      {e.request_id ? (
                        <Link to={`/actions/${e.request_id}`}>
                          <code>{e.request_id.slice(0, 14)}…</code>
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      <details>
                        <summary>Show</summary>
                        <JsonBlock value={e.data} label={`Entry ${e.index} data`} />
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
