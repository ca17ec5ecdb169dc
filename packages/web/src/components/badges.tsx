import type { Risk, Status } from '../api/types';

/** Risk as text and colour: the word carries the meaning, the colour only helps scanning. */
export function RiskBadge({ risk }: { risk: Risk | null }) {
  const level = risk ?? 'unrated';
  return (
    <span className={`badge risk-${level}`}>
      <span className="visually-hidden">Risk: </span>
      {level === 'unrated' ? 'risk not stated' : `${level} risk`}
    </span>
  );
}

export function StatusBadge({ status }: { status: Status }) {
  return (
    <span className={`badge status-${status}`}>
      <span className="visually-hidden">Status: </span>
      {status}
    </span>
  );
}

const DECISION: Record<string, string> = {
  allow: 'allow',
  deny: 'deny',
  require_approval: 'needs approval',
};

export function DecisionBadge({ decision }: { decision: string }) {
  return <span className={`badge decision-${decision}`}>{DECISION[decision] ?? decision}</span>;
}

export function EnvironmentBadge({ environment }: { environment: string }) {
  const prod = /^prod/i.test(environment);
  return (
    <span className={`badge env ${prod ? 'env-production' : ''}`}>
      <span className="visually-hidden">Environment: </span>
      {environment}
    </span>
  );
}
