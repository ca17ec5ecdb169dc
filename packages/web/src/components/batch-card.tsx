import { useEffect, useId, useRef, useState } from 'react';
import { ApiError, api } from '../api/client';
import type { ActionView, Batch, BatchChangedItem, JsonObject, JsonValue } from '../api/types';
import { fromNow, formatTime } from '../format';
import { Link } from '../router';
import { AgentText } from './agent-text';
import { EnvironmentBadge } from './badges';
import { ProblemMessage } from './problem-message';

/** What the reviewer saw of one item when they asked to decide the batch. */
export interface SeenItem {
  id: string;
  digest: string;
  resource: string;
}

/** The outcome of a batch vote, for the inbox to say above its lists. */
export type BatchOutcome =
  | { kind: 'decided'; vote: 'approve' | 'deny'; count: number }
  | { kind: 'changed'; vote: 'approve' | 'deny'; seen: SeenItem[]; changed: BatchChangedItem[] };

/** A path's value as one line of text: scalars as written, anything else as JSON. */
export function valueText(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const same = (a: readonly SeenItem[], b: Batch['items']) =>
  a.length === b.length && a.every((s, i) => s.id === b[i]?.id && s.digest === b[i]?.digest);

/**
 * Paths as facts (`params.rows: 180000`). Paths hold agent keys, values agent text: inert.
 * `absent`: paths another item of the batch has and this one lacks, shown as "(absent)" in our
 * own words (never left blank: the row would read as if it had nothing else to tell).
 */
function PathList({
  values,
  label,
  absent = [],
}: {
  values: Record<string, JsonValue>;
  label: string;
  absent?: readonly string[];
}) {
  const entries = Object.entries(values);
  if (entries.length === 0 && absent.length === 0) return null;
  return (
    <dl className="facts key-params" data-key-params="" aria-label={label}>
      {entries.map(([path, value]) => (
        <div key={path}>
          <dt data-field="param-key">
            <AgentText text={path} />
          </dt>
          <dd data-field="param-value">
            <AgentText text={valueText(value)} />
          </dd>
        </div>
      ))}
      {absent.map((path) => (
        <div key={path}>
          <dt data-field="param-key">
            <AgentText text={path} />
          </dt>
          <dd data-field="param-absent">
            <span className="muted">(absent)</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Alike pending requests (GET /v1/batches) as one card: what they share once, then one row per
 * request with what sets it apart, every row visible. Approve all / Deny all asks to confirm,
 * naming the count, and posts exactly the ids and digests on screen when the reviewer asked;
 * if the batch changed before they confirmed, nothing is sent. The server decides all or none.
 */
export function BatchCard({
  batch,
  now,
  onOutcome,
}: {
  batch: Batch;
  now: number;
  onOutcome: (outcome: BatchOutcome) => void;
}) {
  const id = useId();
  const comment = useRef<HTMLTextAreaElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  const [text, setText] = useState('');
  const [needComment, setNeedComment] = useState(false);
  const [confirm, setConfirm] = useState<{ vote: 'approve' | 'deny'; seen: SeenItem[] } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const n = batch.items.length;

  // A live update changed the rows while the reviewer was confirming: they must look again,
  // and nothing is sent until they ask anew.
  const stale = confirm !== null && !same(confirm.seen, batch.items);
  const pending = stale ? null : confirm;

  useEffect(() => {
    if (confirm !== null) yes.current?.focus();
  }, [confirm]);

  const ask = (vote: 'approve' | 'deny') => {
    setError(null);
    if (vote === 'deny' && text.trim() === '') {
      setNeedComment(true);
      comment.current?.focus();
      return;
    }
    setConfirm({
      vote,
      seen: batch.items.map((i) => ({ id: i.id, digest: i.digest, resource: i.resource })),
    });
  };

  const send = async () => {
    if (pending === null) return;
    const { vote, seen } = pending;
    setBusy(true);
    try {
      const body: JsonObject = { vote, items: seen.map((s) => ({ id: s.id, digest: s.digest })) };
      if (text.trim() !== '') body.comment = text.trim();
      const done = await api<{ items: ActionView[] }>('/v1/batches/votes', {
        method: 'POST',
        body,
      });
      setConfirm(null);
      setText('');
      onOutcome({ kind: 'decided', vote, count: done.items.length });
    } catch (e) {
      setConfirm(null);
      const items = e instanceof ApiError ? (e.body as { items?: unknown }).items : undefined;
      if (e instanceof ApiError && e.code === 'batch_changed' && Array.isArray(items))
        onOutcome({ kind: 'changed', vote, seen, changed: items as BatchChangedItem[] });
      else setError(e);
    } finally {
      setBusy(false);
    }
  };

  // Every path that sets some item apart: an item lacking one shows it as absent.
  const paths = [
    ...new Set(batch.items.flatMap((i) => Object.keys(i.differs)).filter((p) => p !== 'resource')),
  ];
  const common = Object.fromEntries(
    Object.entries(batch.common).filter(([p]) => p !== 'action' && p !== 'environment'),
  );
  return (
    <article className="card batch-card" aria-labelledby={`${id}-title`} data-batch={batch.key}>
      <div className="card-head">
        <h2 className="card-title" id={`${id}-title`}>
          <span className="batch-count">{n} alike requests:</span>{' '}
          <code data-field="action">
            <AgentText text={batch.action} />
          </code>
        </h2>
        <div className="badges">
          <EnvironmentBadge environment={batch.environment} />
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Agent</dt>
          <dd data-field="agent">
            <AgentText text={batch.agent_id} />
          </dd>
        </div>
        <div>
          <dt>Rules</dt>
          <dd>
            <AgentText text={batch.rules.join(', ')} />
          </dd>
        </div>
      </dl>
      <h3 className="batch-sub">The same in all {n}</h3>
      <PathList values={common} label="The same in every request" />
      <h3 className="batch-sub">What sets each apart</h3>
      <ol className="batch-items" aria-label={`${n} requests in this batch`}>
        {batch.items.map((item) => {
          const differs = Object.fromEntries(
            Object.entries(item.differs).filter(([p]) => p !== 'resource'),
          );
          const absent = paths.filter((p) => !Object.hasOwn(item.differs, p));
          return (
            <li key={item.id} data-batch-item={item.id}>
              <Link to={`/actions/${item.id}`} className="resource" data-field="resource">
                <AgentText text={item.resource} />
              </Link>
              {Object.keys(differs).length === 0 && absent.length === 0 ? (
                <p className="muted small">Nothing else differs from the others.</p>
              ) : (
                <PathList values={differs} label="Differs" absent={absent} />
              )}
              {item.expires_at !== null && (
                <p className="muted small">
                  Expires{' '}
                  <time dateTime={item.expires_at} title={formatTime(item.expires_at)}>
                    {fromNow(item.expires_at, now)}
                  </time>
                </p>
              )}
            </li>
          );
        })}
      </ol>
      <div className="vote-form batch-form">
        <label htmlFor={`${id}-comment`}>
          Comment for all {n} <span className="muted">(required to deny)</span>
        </label>
        <textarea
          id={`${id}-comment`}
          ref={comment}
          value={text}
          maxLength={2000}
          rows={2}
          aria-invalid={needComment && text.trim() === ''}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim() !== '') setNeedComment(false);
          }}
        />
        {needComment && (
          <p className="field-error" role="alert">
            Say why you deny them: the agent and the requester will read this.
          </p>
        )}
        {stale && (
          <p className="alert" role="alert">
            The requests in this batch changed: review them again before deciding.
          </p>
        )}
        {pending === null ? (
          <div className="vote-buttons">
            <button type="button" className="button approve" onClick={() => ask('approve')}>
              Approve all {n}
            </button>
            <button type="button" className="button deny" onClick={() => ask('deny')}>
              Deny all {n}
            </button>
          </div>
        ) : (
          <div className="batch-confirm notice" role="group" aria-labelledby={`${id}-confirm`}>
            <p id={`${id}-confirm`}>
              {pending.vote === 'approve' ? 'Approve' : 'Deny'} all {pending.seen.length} requests
              listed above? Each gets its own vote; if any of them changed, none is decided.
            </p>
            <div className="vote-buttons">
              <button
                type="button"
                ref={yes}
                className={`button ${pending.vote}`}
                disabled={busy}
                onClick={() => void send()}
              >
                {busy
                  ? 'Sending…'
                  : `Yes, ${pending.vote === 'approve' ? 'approve' : 'deny'} all ${pending.seen.length}`}
              </button>
              <button
                type="button"
                className="button secondary"
                disabled={busy}
                onClick={() => setConfirm(null)}
              >
                Cancel
              </button>
            </div>
          </div>
        )}
        <ProblemMessage error={error} />
      </div>
    </article>
  );
}

const REASONS: Record<string, string> = {
  already_decided: 'already decided',
  digest_mismatch: 'changed since you saw it',
  not_alike: 'no longer alike the others',
  not_pending: 'no longer pending',
  not_found: 'no longer visible to you',
  self_approval_forbidden: 'you may not vote on it (self-approval)',
  not_eligible: 'you may not vote on it',
  already_voted: 'you already voted on it',
  step_up_required: 'needs approval on its own page (single sign-on)',
  expired: 'expired',
};

/** Why a batch vote decided nothing, item by item (409 `batch_changed`). */
export function BatchChangedNotice({
  outcome,
}: {
  outcome: Extract<BatchOutcome, { kind: 'changed' }>;
}) {
  const resource = new Map(outcome.seen.map((s) => [s.id, s.resource]));
  return (
    <div className="alert batch-changed" role="alert">
      <p>
        Nothing was decided: {outcome.changed.length} of the {outcome.seen.length} requests could
        not be {outcome.vote === 'approve' ? 'approved' : 'denied'} as you saw them. The list below
        is up to date; review it again.
      </p>
      <ul>
        {outcome.changed.map((c) => (
          <li key={c.id} data-changed-item={c.id}>
            <Link to={`/actions/${c.id}`}>
              <AgentText text={resource.get(c.id) ?? c.id} />
            </Link>
            : {REASONS[c.code] ?? c.code}
            {c.status ? ` (now ${c.status})` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}
