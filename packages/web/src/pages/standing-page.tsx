import { useEffect, useState } from 'react';
import { api, query } from '../api/client';
import { STANDING_FILTERS, type StandingApproval } from '../api/types';
import { Loading } from '../components/loading';
import { ProblemMessage } from '../components/problem-message';
import { StandingCard } from '../components/standing-card';
import { useNow } from '../hooks/use-now';
import { useTitle } from '../hooks/use-title';
import { navigate, useLocation } from '../router';

type Filter = (typeof STANDING_FILTERS)[number];

const FILTER_TEXT: Record<Filter, string> = {
  all: 'all',
  active: 'active',
  proposed: 'proposed (waiting for endorsement)',
  revoked: 'revoked',
};

/**
 * Standing approvals this person can see (those of their review groups; all, for admins and
 * auditors): each with its scope, quorum, uses and expiry, and Endorse and Revoke.
 */
export function StandingPage() {
  useTitle('Standing approvals');
  const now = useNow();
  const { search } = useLocation();
  const asked = search.get('status') ?? 'all';
  const status: Filter = (STANDING_FILTERS as readonly string[]).includes(asked)
    ? (asked as Filter)
    : 'all';
  const [items, setItems] = useState<StandingApproval[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  // The shell mounts a fresh page per query string (key): this runs once per filter.
  useEffect(() => {
    api<{ items: StandingApproval[] }>(`/v1/standing-approvals${query({ status })}`).then(
      (list) => setItems(list.items),
      setError,
    );
  }, [status]);

  const replace = (sa: StandingApproval) =>
    setItems((old) => old?.map((o) => (o.id === sa.id ? sa : o)) ?? null);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Standing approvals</h1>
        <p className="muted">
          Approvals given ahead of time for the same kind of action: each is narrow (one agent,
          action and environment), counted, short-lived, and revocable here in one click.
        </p>
      </div>
      <div className="filters card">
        <div className="field">
          <label htmlFor="sa-status">Show</label>
          <select
            id="sa-status"
            value={status}
            onChange={(e) =>
              navigate(
                `/standing-approvals${e.target.value === 'all' ? '' : query({ status: e.target.value })}`,
              )
            }
          >
            {STANDING_FILTERS.map((f) => (
              <option key={f} value={f}>
                {FILTER_TEXT[f]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ProblemMessage error={error} />
      {items === null ? (
        error ? null : (
          <Loading what="standing approvals" />
        )
      ) : items.length === 0 ? (
        <p className="empty card">No standing approvals{status === 'all' ? '' : ` ${status}`}.</p>
      ) : (
        <ul className="card-list" aria-label="Standing approvals">
          {items.map((sa) => (
            <li key={sa.id}>
              <StandingCard sa={sa} now={now} onChange={replace} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
