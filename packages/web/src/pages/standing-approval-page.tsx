import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { ActionView, StandingApproval } from '../api/types';
import { AgentText } from '../components/agent-text';
import { StatusBadge } from '../components/badges';
import { Loading } from '../components/loading';
import { ParamList } from '../components/param-list';
import { ProblemMessage } from '../components/problem-message';
import { StandingCard } from '../components/standing-card';
import { formatTime } from '../format';
import { useNow } from '../hooks/use-now';
import { useTitle } from '../hooks/use-title';
import { keyParams } from '../key-params';
import { Link } from '../router';

/** The requests a standing approval approved: read one by one, as this person may see them. */
const SHOWN_USES = 100;

/** One standing approval, with every request it approved. */
export function StandingApprovalPage({ id }: { id: string }) {
  useTitle(`Standing approval ${id}`);
  const now = useNow();
  const [sa, setSa] = useState<StandingApproval | null>(null);
  const [uses, setUses] = useState<Map<string, ActionView | null> | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api<StandingApproval>(`/v1/standing-approvals/${id}`).then(setSa, setError);
  }, [id]);

  const log = (sa?.uses_log ?? []).slice(0, SHOWN_USES).join(',');
  useEffect(() => {
    if (log === '') return;
    const ids = log.split(',');
    void Promise.allSettled(ids.map((a) => api<ActionView>(`/v1/actions/${a}`))).then((got) =>
      setUses(
        new Map(ids.map((a, i) => [a, got[i]?.status === 'fulfilled' ? got[i].value : null])),
      ),
    );
  }, [log]);

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/standing-approvals">Standing approvals</Link> <span aria-hidden="true">›</span>{' '}
        <code>{id}</code>
      </nav>
      <div className="page-head">
        <h1 tabIndex={-1}>Standing approval</h1>
      </div>
      <ProblemMessage error={error} />
      {sa === null ? (
        error ? null : (
          <Loading what="the standing approval" />
        )
      ) : (
        <>
          <StandingCard
            sa={sa}
            now={now}
            onChange={(s) => setSa({ ...s, uses_log: sa.uses_log })}
          />
          <section aria-labelledby="uses">
            <h2 id="uses">Requests it approved ({sa.uses})</h2>
            {(sa.uses_log ?? []).length === 0 ? (
              <p className="muted">None yet.</p>
            ) : uses === null ? (
              <Loading what="its uses" />
            ) : (
              <ol className="standing-uses">
                {[...uses.entries()].map(([actionId, a]) => (
                  <li key={actionId} data-standing-use={actionId}>
                    <Link to={`/actions/${actionId}`}>
                      <code>{actionId}</code>
                    </Link>
                    {a && (
                      <>
                        {' '}
                        <StatusBadge status={a.status} />{' '}
                        <span data-field="resource">
                          <AgentText text={a.resource} />
                        </span>
                        , <time dateTime={a.created_at}>{formatTime(a.created_at)}</time>
                        <ParamList params={keyParams(a.params, { max: 4, maxLength: 80 })} />
                      </>
                    )}
                  </li>
                ))}
              </ol>
            )}
            {sa.uses_log && sa.uses_log.length > SHOWN_USES && (
              <p className="muted small">
                The first {SHOWN_USES} are shown; the audit log has every one.
              </p>
            )}
          </section>
        </>
      )}
    </>
  );
}
