import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../api/session';
import type { ActionView, StandingApproval, TimelineEntry, VoteResult } from '../api/types';
import { DecisionBadge, EnvironmentBadge, RiskBadge, StatusBadge } from '../components/badges';
import { Explanation } from '../components/explanation';
import { JsonBlock } from '../components/json-block';
import { Loading } from '../components/loading';
import { ProblemMessage } from '../components/problem-message';
import { ProgressText } from '../components/progress-text';
import { Timeline } from '../components/timeline';
import { VoteForm } from '../components/vote-form';
import { AgentText } from '../components/agent-text';
import { ParamList } from '../components/param-list';
import { keyParams } from '../key-params';
import { formatDuration, formatTime, fromNow } from '../format';
import { useEventSource } from '../hooks/use-event-source';
import { useNow } from '../hooks/use-now';
import { useTitle } from '../hooks/use-title';
import { Link } from '../router';

/** The server ends a request's event stream once nothing more can happen to it. */
const isFinal = (a: ActionView) => a.status !== 'pending' && a.status !== 'approved';

/**
 * Everything about one request, live, and the place to decide it. The facts a decision rests
 * on come before the buttons, on a phone too: what (the heading, environment and risk), who
 * (agent, on behalf of), why (the justification) and the key parameters, with the full
 * parameters one tap away. Then the vote form, then the policy trace and the timeline.
 */
export function ActionPage({ id }: { id: string }) {
  const session = useSession();
  const now = useNow(15_000);
  const [action, setAction] = useState<ActionView | null>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<StandingApproval | null>(null);
  const [standing, setStanding] = useState<StandingApproval | null>(null);
  useTitle(action ? `${action.action} on ${action.resource}` : 'Request');

  // The shell mounts a fresh page per id (key), so there is no previous request to clear.
  useEffect(() => {
    api<ActionView>(`/v1/actions/${id}`).then(setAction, setError);
  }, [id]);

  // Re-read the audit trail whenever the request changes (a vote, a decision, a redemption).
  const updatedAt = action?.updated_at;
  useEffect(() => {
    if (updatedAt === undefined) return;
    api<{ entries: TimelineEntry[] }>(`/v1/actions/${id}/timeline`).then(
      (t) => setTimeline(t.entries),
      setError,
    );
  }, [id, updatedAt]);

  // Approved by a standing approval: who stands behind it (if this person may see it).
  const standingId = action?.standing_approval_id ?? null;
  useEffect(() => {
    if (standingId === null) return;
    api<StandingApproval>(`/v1/standing-approvals/${standingId}`).then(setStanding, () =>
      setStanding(null),
    );
  }, [standingId]);

  const onEvent = useCallback((data: string) => setAction(JSON.parse(data) as ActionView), []);
  const live = action !== null && !isFinal(action);
  useEventSource(live ? `/v1/actions/${id}/events` : null, { action: onEvent });

  if (action === null) {
    return (
      <>
        <h1 tabIndex={-1}>Request</h1>
        {error ? <ProblemMessage error={error} /> : <Loading what="the request" />}
        <p>
          <Link to="/">Back to the inbox</Link>
        </p>
      </>
    );
  }

  const voted = ({ standing_approval, ...view }: VoteResult) => {
    setAction(view);
    if (standing_approval) setCreated(standing_approval);
  };
  const mine = action.votes.find((v) => v.user === session.user?.id);
  const stepUp = action.approval?.clauses.some((c) => c.step_up === 'web') ?? false;
  const keyed = keyParams(action.params, { max: 8, maxLength: 120 });
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/">Inbox</Link> <span aria-hidden="true">›</span>{' '}
        <span>
          <AgentText text={action.id} />
        </span>
      </nav>
      <div className="page-head">
        <h1 tabIndex={-1}>
          <code data-field="action">
            <AgentText text={action.action} />
          </code>{' '}
          <span className="on">on</span>{' '}
          <span className="resource" data-field="resource">
            <AgentText text={action.resource} />
          </span>
        </h1>
        <div className="badges">
          <StatusBadge status={action.status} />
          <RiskBadge risk={action.risk} />
          <EnvironmentBadge environment={action.environment} />
          {action.break_glass && <span className="badge risk-critical">break-glass</span>}
        </div>
        <dl className="facts who">
          <div>
            <dt>Agent</dt>
            <dd data-field="agent">
              <AgentText text={action.agent.id} />
            </dd>
          </div>
          {action.agent.owners && action.agent.owners.length > 0 && (
            <div>
              <dt>Owners</dt>
              <dd data-field="owners">
                <AgentText text={action.agent.owners.join(', ')} />
              </dd>
            </div>
          )}
          <div>
            <dt>On behalf of</dt>
            <dd>{action.on_behalf_of === null ? '—' : <AgentText text={action.on_behalf_of} />}</dd>
          </div>
          {action.status === 'pending' && action.expires_at && (
            <div>
              <dt>Expires</dt>
              <dd>
                <time dateTime={action.expires_at} title={formatTime(action.expires_at)}>
                  {fromNow(action.expires_at, now)}
                </time>
              </dd>
            </div>
          )}
        </dl>
        {live && (
          <p className="muted small">
            <span className="live-dot" aria-hidden="true" /> Live: this page updates as votes
            arrive.
          </p>
        )}
      </div>
      <ProblemMessage error={error} />

      <div className="detail-grid">
        <div className="detail-main">
          <div className="detail-summary">
            {action.justification && (
              <section aria-labelledby="why">
                <h2 id="why">Justification</h2>
                <blockquote className="justification" data-field="justification">
                  <AgentText text={action.justification} multiline />
                </blockquote>
              </section>
            )}

            <section aria-labelledby="params">
              <h2 id="params">Parameters</h2>
              {keyed.length === 0 ? (
                <JsonBlock value={action.params} label="Parameters" />
              ) : (
                <>
                  <ParamList params={keyed} />
                  <details className="all-params">
                    <summary>All parameters ({Object.keys(action.params).length}, as JSON)</summary>
                    <JsonBlock value={action.params} label="Parameters" />
                  </details>
                </>
              )}
            </section>
          </div>

          {action.context && (
            <section aria-labelledby="context">
              <h2 id="context">Context</h2>
              <JsonBlock value={action.context} label="Context" />
            </section>
          )}

          <section aria-labelledby="policy">
            <h2 id="policy">Policy decision</h2>
            <p>
              <DecisionBadge decision={action.decision} />{' '}
              <span data-field="reason">
                <AgentText text={action.reason} />
              </span>
            </p>
            <Explanation trace={action.explanation} />
          </section>

          <section aria-labelledby="timeline">
            <h2 id="timeline">Timeline</h2>
            <p className="muted small">Each step as recorded in the tamper-evident audit log.</p>
            {timeline === null ? <Loading what="the timeline" /> : <Timeline entries={timeline} />}
          </section>
        </div>

        <aside className="detail-side">
          {action.status === 'pending' && !mine && (
            <section className="card">
              <VoteForm action={action} onVoted={voted} />
            </section>
          )}
          {mine && (
            <p className="card notice" role="status">
              You voted to <strong>{mine.vote}</strong>
              {mine.comment ? (
                <>
                  : “<AgentText text={mine.comment} />”
                </>
              ) : (
                ''
              )}{' '}
              ({formatTime(mine.at)}).
            </p>
          )}

          {created && <StandingCreated sa={created} />}
          {action.standing_approval_id && (
            <p className="card notice" data-approved-by-standing="">
              Approved by standing approval{' '}
              <Link to={`/standing-approvals/${action.standing_approval_id}`}>
                <code>{action.standing_approval_id}</code>
              </Link>
              , which{' '}
              {standing ? `${standing.endorsers.map((e) => e.user).join(', ')}` : 'its endorsers'}{' '}
              gave ahead of time for requests like this one
              {standing &&
                ` (used ${standing.uses} of ${standing.max_uses} times, ${standing.status})`}
              . No one voted on this request itself.
            </p>
          )}
          {action.approval && (
            <section className="card" aria-labelledby="approval">
              <h2 id="approval">Approval</h2>
              {action.progress && !action.standing_approval_id && (
                <p>
                  <ProgressText progress={action.progress} />
                </p>
              )}
              <ul className="plain">
                {action.approval.clauses.map((c) => (
                  <li key={c.rule}>
                    <code>{c.rule}</code>: {c.quorum} of {c.from.join(' or ')}
                    {c.groups
                      .filter((g) => g.min > 0)
                      .map((g) => `, at least ${g.min} from ${g.group}`)
                      .join('')}
                    {c.escalate &&
                      `; escalates to ${c.escalate.to.join(', ')} after ${formatDuration(c.escalate.after_ms)}`}
                  </li>
                ))}
              </ul>
              {stepUp && (
                <p className="muted small">
                  A rule asks for this approval in the web inbox (step-up): chat buttons link here.
                </p>
              )}
              {action.expires_at && (
                <p className="small">
                  {action.status === 'pending' ? 'Expires' : 'Deadline was'}{' '}
                  <time dateTime={action.expires_at}>{formatTime(action.expires_at)}</time>
                  {action.status === 'pending' && ` (${fromNow(action.expires_at, now)})`}, then{' '}
                  {action.approval.on_timeout}.
                </p>
              )}
            </section>
          )}

          <section className="card" aria-labelledby="votes">
            <h2 id="votes">Votes</h2>
            {action.votes.length === 0 ? (
              <p className="muted">
                {action.standing_approval_id
                  ? 'None: a standing approval approved it.'
                  : 'No votes yet.'}
              </p>
            ) : (
              <ul className="votes">
                {action.votes.map((v) => (
                  <li key={`${v.user}-${v.at}`}>
                    <strong>{v.user}</strong>{' '}
                    <span className={`badge vote-${v.vote}`}>{v.vote}</span>
                    {v.break_glass && <span className="badge risk-critical">break-glass</span>}
                    <span className="muted small">
                      {' '}
                      via {v.channel}, <time dateTime={v.at}>{formatTime(v.at)}</time>
                    </span>
                    {v.comment && (
                      <p className="comment" data-field="comment">
                        “<AgentText text={v.comment} multiline />”
                      </p>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="facts">
            <h2 id="facts">Request</h2>
            <dl className="facts stacked">
              <div>
                <dt>Requested</dt>
                <dd>
                  <time dateTime={action.created_at}>{formatTime(action.created_at)}</time>
                </dd>
              </div>
              {action.decided_at && (
                <div>
                  <dt>Decided</dt>
                  <dd>
                    <time dateTime={action.decided_at}>{formatTime(action.decided_at)}</time>
                  </dd>
                </div>
              )}
              <div>
                <dt>Digest</dt>
                <dd>
                  <code className="break">{action.digest}</code>
                </dd>
              </div>
              <div>
                <dt>Policy version</dt>
                <dd>
                  <code className="break">{action.policy_version}</code>
                </dd>
              </div>
              <div>
                <dt>Request id</dt>
                <dd>
                  <code className="break">{action.id}</code>
                </dd>
              </div>
              {action.idempotency_key && (
                <div>
                  <dt>Idempotency key</dt>
                  <dd>
                    <code className="break">
                      <AgentText text={action.idempotency_key} />
                    </code>
                  </dd>
                </div>
              )}
            </dl>
            <p className="small" data-field="message">
              <AgentText text={action.message} />
            </p>
          </section>

          {action.result && (
            <section className="card" aria-labelledby="result">
              <h2 id="result">Result</h2>
              <p>
                Reported <strong>{action.result.outcome}</strong>,{' '}
                <time dateTime={action.result.at}>{formatTime(action.result.at)}</time>
              </p>
              {action.result.detail !== null && (
                <JsonBlock value={action.result.detail} label="Result detail" />
              )}
            </section>
          )}
        </aside>
      </div>
    </>
  );
}

/** Said once, after a vote that also created a standing approval. */
function StandingCreated({ sa }: { sa: StandingApproval }) {
  return (
    <p className="card verified" role="status" data-standing-created="">
      Standing approval{' '}
      <Link to={`/standing-approvals/${sa.id}`}>
        <code>{sa.id}</code>
      </Link>{' '}
      {sa.status === 'active'
        ? `is active: up to ${sa.max_uses} uses until ${formatTime(sa.expires_at)}.`
        : `is proposed: it approves nothing until enough other reviewers endorse it.`}
    </p>
  );
}
