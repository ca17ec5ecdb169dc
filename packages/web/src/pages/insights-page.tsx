import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api/client';
import type { Insights, LoadFigures } from '../api/types';
import { Loading } from '../components/loading';
import { ProblemMessage } from '../components/problem-message';
import { formatDuration } from '../format';
import { useTitle } from '../hooks/use-title';

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const rate = (r: number | null) => (r === null ? '–' : `${Math.round(r * 100)} %`);
const ms = (v: number | null) => (v === null ? '–' : formatDuration(v));

const HEADERS = [
  'Approvals',
  'Denials',
  'Approval rate',
  'Median',
  'p90',
  'Fast approvals',
  'Requests',
  'Per day',
];

function Figures({ f }: { f: LoadFigures }) {
  return (
    <>
      <td>{f.approvals}</td>
      <td>{f.denials}</td>
      <td>{rate(f.approval_rate)}</td>
      <td>{ms(f.p50_ms)}</td>
      <td>{ms(f.p90_ms)}</td>
      <td>{f.fast_approvals}</td>
      <td>{f.requests}</td>
      <td>{f.requests_per_day.toFixed(1)}</td>
    </>
  );
}

/** One card with a table of figures: a first column naming the row, the figures, maybe one more. */
function LoadTable(props: {
  id: string;
  title: string;
  className: string;
  first: string;
  last?: string;
  children: ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <div className="table-wrap" tabIndex={0} role="region" aria-label={props.title}>
        <table className={props.className}>
          <thead>
            <tr>
              <th scope="col">{props.first}</th>
              {HEADERS.map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
              {props.last !== undefined && <th scope="col">{props.last}</th>}
            </tr>
          </thead>
          <tbody>{props.children}</tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Reviewer load and rubber-stamp indicators (docs/fatigue.md) for auditors and admins: the last
 * 30 UTC days by default, per reviewer and per rule.
 */
export function InsightsPage() {
  useTitle('Insights');
  const [from, setFrom] = useState(() => utcDay(Date.now() - 29 * DAY_MS));
  const [to, setTo] = useState(() => utcDay(Date.now()));
  const [asked, setAsked] = useState({ from, to });
  const [insights, setInsights] = useState<Insights | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const q = new URLSearchParams(asked);
    api<Insights>(`/v1/insights?${q.toString()}`).then(setInsights, setError);
  }, [asked]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setInsights(null);
    setError(null);
    setAsked({ from, to });
  };

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Reviewer load</h1>
        <p className="muted">
          Approvals given within seconds of the notification, or a reviewer who approves everything,
          suggest approval fatigue. Times run from the first delivered notification (else the
          request&apos;s creation) to the vote.
        </p>
      </div>
      <form onSubmit={submit} className="inline-form">
        <label htmlFor="insights-from">From</label>
        <input
          id="insights-from"
          type="date"
          value={from}
          onChange={(e) => setFrom(e.target.value)}
        />
        <label htmlFor="insights-to">to (UTC, inclusive)</label>
        <input id="insights-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        <button type="submit" className="button secondary">
          Show
        </button>
      </form>
      <ProblemMessage error={error} />
      {insights === null ? (
        error ? null : (
          <Loading what="the figures" />
        )
      ) : (
        <>
          <p className="muted" role="status">
            {insights.votes} votes over {insights.days} days;{' '}
            <strong>{insights.fast_approvals} fast approvals</strong> (at most{' '}
            {formatDuration(insights.fast_approval_threshold_ms)} after notification).
          </p>
          <LoadTable
            id="by-reviewer"
            title="Per reviewer"
            className="insights-reviewers"
            first="Reviewer"
            last="Busiest day"
          >
            {insights.reviewers.map((r) => (
              <tr key={r.user}>
                <th scope="row">{r.user}</th>
                <Figures f={r} />
                <td>{r.busiest_day ? `${r.busiest_day.date} (${r.busiest_day.requests})` : '–'}</td>
              </tr>
            ))}
          </LoadTable>
          <LoadTable id="by-rule" title="Per rule" className="insights-rules" first="Rule">
            {insights.rules.map((r) => (
              <tr key={r.rule}>
                <th scope="row">
                  <code>{r.rule}</code>
                </th>
                <Figures f={r} />
              </tr>
            ))}
          </LoadTable>
        </>
      )}
    </>
  );
}
