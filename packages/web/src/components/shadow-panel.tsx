import { useEffect, useState } from 'react';
import { Link } from '../router';
import { api } from '../api/client';
import type { ShadowView } from '../api/types';
import { formatTime, short } from '../format';
import { AgentText } from './agent-text';
import { DecisionBadge } from './badges';
import { ProblemMessage } from './problem-message';

/**
 * The shadow policy's disagreements with the live one (docs/policy.md "Shadow policies"):
 * counts by change kind and the newest examples. Nothing here is enforced; the panel is absent
 * when no shadow is configured. Agent and action names are the agent's text: shown inert.
 */
export function ShadowPanel() {
  const [view, setView] = useState<ShadowView | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api<ShadowView>('/v1/policy/shadow').then(setView, setError);
  }, []);

  if (error) return <ProblemMessage error={error} />;
  if (!view?.configured) return null;
  const kinds = Object.entries(view.counts).filter(([, n]) => n > 0);
  return (
    <section className="card shadow-panel" aria-labelledby="shadow">
      <h2 id="shadow">Shadow policy</h2>
      {view.version === null ? (
        <p>
          <code>{view.file}</code> is configured but did not load: no shadow is evaluated. The
          gateway's log says why.
        </p>
      ) : (
        <p className="muted">
          <code>{view.file}</code>, version <code title={view.version}>{short(view.version)}</code>,
          decides every request beside the live policy and is never enforced. Disagreements of this
          version recorded since {formatTime(view.since)}, on every replica:
        </p>
      )}
      {view.version !== null && kinds.length === 0 && <p>None: it decided as the live policy.</p>}
      {kinds.length > 0 && (
        <ul className="shadow-counts">
          {kinds.map(([kind, n]) => (
            <li key={kind}>
              <code>{kind}</code>: {n}
            </li>
          ))}
        </ul>
      )}
      {view.examples.length > 0 && (
        <table className="shadow-examples">
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Kind</th>
              <th scope="col">Live</th>
              <th scope="col">Shadow</th>
            </tr>
          </thead>
          <tbody>
            {view.examples.map((e) => (
              <tr key={e.request_id}>
                <td>
                  <Link to={`/actions/${encodeURIComponent(e.request_id)}`}>
                    <AgentText text={e.action} />
                  </Link>{' '}
                  by <AgentText text={e.agent} />
                  <div className="muted small">{formatTime(e.at)}</div>
                </td>
                <td>
                  <code>{e.kind}</code>
                </td>
                <td>
                  <DecisionBadge decision={e.live.decision} /> {e.live.rules.join(', ')}
                </td>
                <td>
                  <DecisionBadge decision={e.shadow.decision} /> {e.shadow.rules.join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
