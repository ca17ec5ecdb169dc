import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Checkpoint, Verification } from '../api/types';
import { EntryBrowser } from '../components/entry-browser';
import { Loading } from '../components/loading';
import { ProblemMessage } from '../components/problem-message';
import { formatTime } from '../format';
import { useTitle } from '../hooks/use-title';

/** The audit log for auditors: the signed checkpoint, a verification, and the entries. */
export function AuditPage() {
  useTitle('Audit log');
  const [checkpoint, setCheckpoint] = useState<Checkpoint | null>(null);
  const [verification, setVerification] = useState<Verification | null>(null);
  const [verifying, setVerifying] = useState(true);
  const [error, setError] = useState<unknown>(null);

  const verify = useCallback(
    () =>
      api<Verification>('/v1/audit/verify')
        .then(async (v) => {
          setVerification(v);
          setCheckpoint(await api<Checkpoint>('/v1/audit/checkpoint'));
        })
        .catch(setError)
        .finally(() => setVerifying(false)),
    [],
  );

  useEffect(() => {
    void verify();
  }, [verify]);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Audit log</h1>
        <p className="muted">
          An append-only Merkle log (RFC 9162) with signed checkpoints. Verify it offline with{' '}
          <code>countersign audit export</code> and <code>countersign audit verify --key</code>.
        </p>
      </div>
      <ProblemMessage error={error} />
      <div className="audit-grid">
        <section className="card" aria-labelledby="verification">
          <h2 id="verification">Verification</h2>
          {verification === null ? (
            <Loading what="the verification" />
          ) : verification.result.ok ? (
            <p className="verified" role="status">
              <span aria-hidden="true">✓ </span>
              <strong>Verified.</strong> All {verification.result.size} entries recomputed: every
              leaf, every link and the root match the signed checkpoint.
            </p>
          ) : (
            <div className="alert" role="alert">
              <p>
                <strong>Verification failed: {verification.result.code}.</strong>{' '}
                {verification.result.reason}
              </p>
              {verification.result.first_bad_index !== undefined && (
                <p>First bad entry: #{verification.result.first_bad_index}</p>
              )}
              {verification.result.range && (
                <p>
                  First bad entry between #{verification.result.range.from} and #
                  {verification.result.range.to - 1}
                </p>
              )}
            </div>
          )}
          {verification && (
            <p className="muted small">
              Checked {formatTime(verification.verified_at, true)} with the gateway's own key: this
              proves the store matches what the gateway signed. For independence, verify an export
              with the published key.
            </p>
          )}
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              setVerifying(true);
              void verify();
            }}
            disabled={verifying}
          >
            {verifying ? 'Verifying…' : 'Verify again'}
          </button>
        </section>

        <section className="card" aria-labelledby="checkpoint">
          <h2 id="checkpoint">Latest checkpoint</h2>
          {checkpoint === null ? (
            <Loading what="the checkpoint" />
          ) : (
            <>
              <dl className="facts stacked">
                <div>
                  <dt>Entries</dt>
                  <dd>{checkpoint.size}</dd>
                </div>
                <div>
                  <dt>Root hash</dt>
                  <dd>
                    <code className="break">{checkpoint.root_hash}</code>
                  </dd>
                </div>
                <div>
                  <dt>Signed</dt>
                  <dd>{formatTime(checkpoint.created_at, true)}</dd>
                </div>
                <div>
                  <dt>Verifier key</dt>
                  <dd>
                    <code className="break">{checkpoint.verifier_key}</code>
                  </dd>
                </div>
              </dl>
              <details>
                <summary>Signed note (C2SP)</summary>
                <pre className="json" tabIndex={0} aria-label="Signed checkpoint note">
                  {checkpoint.note}
                </pre>
              </details>
            </>
          )}
        </section>
      </div>
      <EntryBrowser />
    </>
  );
}
