import { useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import type { ActionView, JsonObject, VoteResult } from '../api/types';
import { useNow } from '../hooks/use-now';
import { durationChoices, standingLimits, suggestCondition } from '../standing-scope';
import { ProblemMessage } from './problem-message';
import {
  choiceProblem,
  standingBody,
  StandingFields,
  type StandingChoice,
} from './standing-fields';

/** The standing section's starting values: small and short, the reviewer widens them on purpose. */
function initialChoice(action: ActionView, maxUses: number, maxMs: number): StandingChoice {
  const durations = durationChoices(maxMs);
  const hour = durations.find((d) => d.value === '1h') ?? durations[durations.length - 1];
  return {
    kind: 'digest',
    uses: String(Math.min(5, maxUses)),
    when: suggestCondition(action),
    for: hour?.value ?? '',
    maxUses: String(Math.min(10, maxUses)),
  };
}

/**
 * Approve or deny, with a comment (required to deny: the agent and the requester deserve a
 * reason, and the reason lands in the audit log). Whether this person may vote is the
 * server's decision; a refusal comes back as a problem and is shown as is.
 *
 * Opt-in, an approval may also stand for the same kind of action (docs/fatigue.md): this exact
 * action N more times, or requests meeting a condition for a while. The gateway judges it with
 * the vote; if it refuses (`standing_not_allowed`), nothing is recorded, not even the vote.
 */
export function VoteForm({
  action,
  onVoted,
}: {
  action: ActionView;
  onVoted: (a: VoteResult) => void;
}) {
  const now = useNow();
  const id = useId();
  const comment = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<'approve' | 'deny' | null>(null);
  const [needComment, setNeedComment] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const limits = standingLimits(action);
  const [standing, setStanding] = useState(false);
  const [standingChoice, setStandingChoice] = useState(() =>
    initialChoice(action, limits?.max_uses ?? 1, limits?.max_ms ?? 0),
  );
  const [standingError, setStandingError] = useState<string | null>(null);
  // Whether the refused vote asked for a standing approval: a refusal then records neither.
  const [sentStanding, setSentStanding] = useState(false);

  const vote = async (choice: 'approve' | 'deny') => {
    setError(null);
    if (choice === 'deny' && text.trim() === '') {
      setNeedComment(true);
      comment.current?.focus();
      return;
    }
    const body: JsonObject = { vote: choice };
    if (text.trim() !== '') body.comment = text.trim();
    if (choice === 'approve' && standing && limits !== null) {
      const problem = choiceProblem(standingChoice, limits);
      setStandingError(problem);
      if (problem !== null) return;
      body.standing = standingBody(standingChoice);
    }
    setSentStanding(body.standing !== undefined);
    setBusy(choice);
    try {
      onVoted(await api<VoteResult>(`/v1/actions/${action.id}/votes`, { method: 'POST', body }));
      setText('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
  };

  return (
    <form className="vote-form" onSubmit={submit} aria-labelledby={`${id}-legend`}>
      <h2 id={`${id}-legend`}>Your decision</h2>
      <label htmlFor={`${id}-comment`}>
        Comment <span className="muted">(required to deny)</span>
      </label>
      <textarea
        id={`${id}-comment`}
        ref={comment}
        value={text}
        maxLength={2000}
        rows={3}
        aria-invalid={needComment && text.trim() === ''}
        aria-describedby={needComment ? `${id}-hint` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() !== '') setNeedComment(false);
        }}
      />
      {needComment && (
        <p className="field-error" id={`${id}-hint`} role="alert">
          Say why you deny it: the agent and the requester will read this.
        </p>
      )}
      {limits === null ? (
        action.approval !== null && (
          <p className="muted small">
            The policy does not allow standing approvals for this request&apos;s rules.
          </p>
        )
      ) : (
        <div className="standing">
          <div className="field checkbox">
            <input
              id={`${id}-standing`}
              type="checkbox"
              checked={standing}
              onChange={(e) => {
                setStanding(e.target.checked);
                setStandingError(null);
              }}
            />
            <label htmlFor={`${id}-standing`}>
              Also approve the same kind of action… <span className="muted">(optional)</span>
            </label>
          </div>
          {standing && (
            <StandingFields
              action={action}
              limits={limits}
              choice={standingChoice}
              onChange={(c) => {
                setStandingChoice(c);
                setStandingError(null);
              }}
              now={now}
            />
          )}
          {standingError !== null && (
            <p className="field-error" role="alert">
              {standingError}
            </p>
          )}
        </div>
      )}
      <div className="vote-buttons">
        <button
          type="button"
          className="button approve"
          disabled={busy !== null}
          onClick={() => void vote('approve')}
        >
          {busy === 'approve' ? 'Approving…' : standing ? 'Approve + standing approval' : 'Approve'}
        </button>
        <button
          type="button"
          className="button deny"
          disabled={busy !== null}
          onClick={() => void vote('deny')}
        >
          {busy === 'deny' ? 'Denying…' : 'Deny'}
        </button>
      </div>
      <p className="muted small">
        You approve exactly this action (digest <code>{action.digest.slice(0, 19)}…</code>): a
        change to any parameter is a new request.
      </p>
      <ProblemMessage error={error} />
      {error instanceof ApiError && error.status < 500 && sentStanding && (
        <p className="small">
          Nothing was recorded: neither your approval nor the standing approval. Narrow it, or
          untick “Also approve the same kind of action” to approve this request alone.
        </p>
      )}
    </form>
  );
}
