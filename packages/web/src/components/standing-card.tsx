import { useId, useRef, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../api/session';
import type { StandingApproval, StandingStatus } from '../api/types';
import { formatTime, fromNow } from '../format';
import { Link } from '../router';
import { AgentText } from './agent-text';
import { ProblemMessage } from './problem-message';
import { ProgressText } from './progress-text';

const STATUS_TEXT: Record<StandingStatus, string> = {
  active: 'active',
  proposed: 'proposed: needs endorsement',
  revoked: 'revoked',
  exhausted: 'used up',
  expired: 'expired',
};

export function StandingStatusBadge({ status }: { status: StandingStatus }) {
  return (
    <span className={`badge standing-${status}`}>
      <span className="visually-hidden">Status: </span>
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

/** "1 of 2": endorsers against the quorum it stands for (the gateway's count when it sends one). */
function Endorsement({ sa }: { sa: StandingApproval }) {
  if (sa.progress) return <ProgressText progress={sa.progress} />;
  const needed = sa.approval.clauses.reduce((n, c) => n + c.quorum, 0);
  return (
    <>
      {sa.endorsers.length} of {needed}
    </>
  );
}

/**
 * One standing approval: what it covers (its scope as inert code text: the condition and the
 * agent's names are hostile text), for whom, the quorum it stands for and who endorsed it, how
 * much of it is used, when it ends, where it came from; and Endorse and Revoke. Whether this
 * person may endorse or revoke is the gateway's decision; a refusal is shown as it comes.
 */
export function StandingCard({
  sa,
  now,
  onChange,
  headingLevel = 2,
}: {
  sa: StandingApproval;
  now: number;
  onChange: (sa: StandingApproval) => void;
  headingLevel?: 2 | 3;
}) {
  const id = useId();
  const session = useSession();
  const me = session.user?.id;
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'endorse' | 'revoke' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const live = sa.status === 'active' || sa.status === 'proposed';
  const endorsed = sa.endorsers.some((e) => e.user === me);
  const Heading = headingLevel === 2 ? 'h2' : 'h3';

  const post = async (what: 'endorse' | 'revoke', body: Record<string, string>) => {
    setBusy(what);
    setError(null);
    try {
      onChange(
        await api<StandingApproval>(`/v1/standing-approvals/${sa.id}/${what}`, {
          method: 'POST',
          body,
        }),
      );
      setConfirming(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <article
      className="card standing-card"
      aria-labelledby={`${id}-title`}
      data-standing-id={sa.id}
    >
      <div className="card-head">
        <Heading className="card-title" id={`${id}-title`}>
          <Link to={`/standing-approvals/${sa.id}`}>
            <code data-field="action">
              <AgentText text={sa.action} />
            </code>{' '}
            <span className="on">by</span>{' '}
            <span data-field="agent">
              <AgentText text={sa.agent_id} />
            </span>
          </Link>
        </Heading>
        <div className="badges">
          <StandingStatusBadge status={sa.status} />
        </div>
      </div>
      <div className="standing-scope">
        {sa.scope.kind === 'digest' ? (
          <p>
            This exact action, digest{' '}
            <code className="break" data-field="digest">
              {sa.scope.digest}
            </code>
          </p>
        ) : (
          <>
            <p className="muted small">Requests for which this condition holds:</p>
            <pre className="json scope-when" data-field="scope">
              <AgentText text={sa.scope.when} multiline />
            </pre>
          </>
        )}
      </div>
      <dl className="facts">
        <div>
          <dt>Environment</dt>
          <dd data-field="environment">
            <AgentText text={sa.environment} />
          </dd>
        </div>
        <div>
          <dt>Rules</dt>
          <dd>
            <code>{sa.rules.join(', ')}</code>
          </dd>
        </div>
        <div>
          <dt>Endorsed</dt>
          <dd data-standing-endorsed="">
            <Endorsement sa={sa} /> ({sa.endorsers.map((e) => e.user).join(', ')})
          </dd>
        </div>
        <div>
          <dt>Uses</dt>
          <dd data-standing-uses="">
            {sa.uses} of {sa.max_uses}
          </dd>
        </div>
        <div>
          <dt>{Date.parse(sa.expires_at) > now ? 'Expires' : 'Expired'}</dt>
          <dd>
            <time dateTime={sa.expires_at}>
              {fromNow(sa.expires_at, now)} ({formatTime(sa.expires_at)})
            </time>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            by {sa.created_by}, <time dateTime={sa.created_at}>{formatTime(sa.created_at)}</time>,
            from request{' '}
            <Link to={`/actions/${sa.source_action_id}`}>
              <code>{sa.source_action_id}</code>
            </Link>
          </dd>
        </div>
        {sa.revoked_at && (
          <div>
            <dt>Revoked</dt>
            <dd>
              by {sa.revoked_by ?? 'unknown'},{' '}
              <time dateTime={sa.revoked_at}>{formatTime(sa.revoked_at)}</time>
              {sa.revoke_reason && (
                <>
                  : “
                  <span data-field="revoke-reason">
                    <AgentText text={sa.revoke_reason} />
                  </span>
                  ”
                </>
              )}
            </dd>
          </div>
        )}
      </dl>
      {live && (
        <div className="standing-actions">
          {sa.status === 'proposed' && !endorsed && (
            <button
              type="button"
              className="button approve"
              disabled={busy !== null}
              onClick={() => void post('endorse', {})}
            >
              {busy === 'endorse' ? 'Endorsing…' : 'Endorse'}
            </button>
          )}
          {!confirming && (
            <button
              type="button"
              className="button deny"
              disabled={busy !== null}
              onClick={() => {
                setConfirming(true);
                // After the confirmation renders: the keyboard lands on its button.
                setTimeout(() => confirmButton.current?.focus(), 0);
              }}
            >
              Revoke
            </button>
          )}
        </div>
      )}
      {live && confirming && (
        <div className="revoke-confirm" role="group" aria-labelledby={`${id}-confirm`}>
          <p id={`${id}-confirm`}>
            <strong>Revoke it now?</strong> From now on, requests it would have approved wait for a
            person. This cannot be undone.
          </p>
          <label htmlFor={`${id}-reason`}>
            Reason <span className="muted">(optional, recorded in the audit log)</span>
          </label>
          <input
            id={`${id}-reason`}
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="vote-buttons">
            <button
              type="button"
              ref={confirmButton}
              className="button deny"
              disabled={busy !== null}
              onClick={() => void post('revoke', reason.trim() ? { reason: reason.trim() } : {})}
            >
              {busy === 'revoke' ? 'Revoking…' : 'Revoke now'}
            </button>
            <button
              type="button"
              className="button secondary"
              disabled={busy !== null}
              onClick={() => setConfirming(false)}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      <ProblemMessage error={error} />
    </article>
  );
}
