import { useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { ActionView, JsonObject } from '../api/types';
import { ProblemMessage } from './problem-message';

/**
 * Approve or deny, with a comment (required to deny: the agent and the requester deserve a
 * reason, and the reason lands in the audit log). Whether this person may vote is the
 * server's decision; a refusal comes back as a problem and is shown as is.
 */
export function VoteForm({
  action,
  onVoted,
}: {
  action: ActionView;
  onVoted: (a: ActionView) => void;
}) {
  const id = useId();
  const comment = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<'approve' | 'deny' | null>(null);
  const [needComment, setNeedComment] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const vote = async (choice: 'approve' | 'deny') => {
    setError(null);
    if (choice === 'deny' && text.trim() === '') {
      setNeedComment(true);
      comment.current?.focus();
      return;
    }
    setBusy(choice);
    try {
      const body: JsonObject = { vote: choice };
      if (text.trim() !== '') body.comment = text.trim();
      onVoted(await api<ActionView>(`/v1/actions/${action.id}/votes`, { method: 'POST', body }));
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
      <div className="vote-buttons">
        <button
          type="button"
          className="button approve"
          disabled={busy !== null}
          onClick={() => void vote('approve')}
        >
          {busy === 'approve' ? 'Approving…' : 'Approve'}
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
    </form>
  );
}
