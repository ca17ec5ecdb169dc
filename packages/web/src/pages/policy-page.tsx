import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../api/session';
import type { PolicyRuleView, PolicyView } from '../api/types';
import { DecisionBadge } from '../components/badges';
import { Loading } from '../components/loading';
import { PolicySimulator } from '../components/policy-simulator';
import { ProblemMessage } from '../components/problem-message';
import { ShadowPanel } from '../components/shadow-panel';
import { formatDuration, short } from '../format';
import { useTitle } from '../hooks/use-title';

/** The policy in force, rule by rule, and (for admins) a dry run of a request against it. */
export function PolicyPage() {
  useTitle('Policy');
  const session = useSession();
  const [policy, setPolicy] = useState<PolicyView | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api<PolicyView>('/v1/policy').then(setPolicy, setError);
  }, []);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Policy</h1>
        {policy && (
          <p className="muted">
            <code>{policy.file}</code>, version{' '}
            <code title={policy.version}>{short(policy.version)}</code>. Nothing matched:{' '}
            <strong>{policy.defaults.decision}</strong>. Approvals time out after{' '}
            {formatDuration(policy.defaults.approval_timeout_ms)}, then {policy.defaults.on_timeout}
            . Most restrictive wins: deny, then needs approval, then allow.
          </p>
        )}
      </div>
      <ProblemMessage error={error} />
      <div className="policy-grid">
        <section aria-labelledby="rules">
          <h2 id="rules">Rules</h2>
          {policy === null ? (
            error ? null : (
              <Loading what="the policy" />
            )
          ) : (
            <ol className="rules">
              {policy.rules.map((r) => (
                <li key={r.id}>
                  <RuleCard rule={r} />
                </li>
              ))}
            </ol>
          )}
          <ShadowPanel />
          {policy && policy.redact.length > 0 && (
            <p className="muted small">
              Redacted in the audit log:{' '}
              {policy.redact.map((p) => (
                <code key={p}>{p} </code>
              ))}
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="try">
          <h2 id="try">Try a request</h2>
          {session.user?.admin ? (
            <PolicySimulator />
          ) : (
            <p className="muted">
              Dry runs are for admins (and agents, as themselves): ask an admin, or run{' '}
              <code>countersign policy explain</code>.
            </p>
          )}
        </section>
      </div>
    </>
  );
}

function RuleCard({ rule }: { rule: PolicyRuleView }) {
  const globs = Object.entries(rule.match).filter((e): e is [string, string[]] =>
    Array.isArray(e[1]),
  );
  return (
    <article className="card rule" aria-labelledby={`rule-${rule.id}`}>
      <div className="card-head">
        <h3 id={`rule-${rule.id}`}>
          <code>{rule.id}</code>
        </h3>
        <DecisionBadge decision={rule.effect} />
      </div>
      {rule.description && <p>{rule.description}</p>}
      <dl className="facts stacked">
        <div>
          <dt>Matches</dt>
          <dd>
            {globs.length === 0
              ? 'every request'
              : globs.map(([k, v]) => (
                  <span key={k} className="glob">
                    {k} <code>{v.join(' | ')}</code>
                  </span>
                ))}
          </dd>
        </div>
        {rule.when && (
          <div>
            <dt>When</dt>
            <dd>
              <code className="break">{rule.when}</code>
            </dd>
          </div>
        )}
        {rule.approvers && (
          <div>
            <dt>Approvers</dt>
            <dd>
              {rule.approvers}
              {rule.approval?.escalate &&
                `; escalates to ${rule.approval.escalate.to.join(', ')} after ${formatDuration(rule.approval.escalate.after_ms)}`}
              {rule.approval?.timeout_ms !== undefined &&
                `; times out after ${formatDuration(rule.approval.timeout_ms)}`}
              {rule.approval?.justification_required && '; justification required'}
            </dd>
          </div>
        )}
        {rule.reason && (
          <div>
            <dt>Reason</dt>
            <dd>{rule.reason}</dd>
          </div>
        )}
      </dl>
      <p className="muted small">line {rule.line}</p>
    </article>
  );
}
