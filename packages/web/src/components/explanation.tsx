import type { RuleTrace } from '../api/types';

/** The policy's reasoning, rule by rule: which matched, which did not, and why. */
export function Explanation({ trace }: { trace: RuleTrace[] }) {
  if (trace.length === 0) {
    return <p className="muted">No rule matched: the policy's default decided.</p>;
  }
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Policy explanation">
      <table>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Outcome</th>
            <th scope="col">Effect</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {trace.map((t) => (
            <tr key={t.rule} className={`outcome-${t.outcome}`}>
              <th scope="row">
                <code>{t.rule}</code>
              </th>
              <td>{t.outcome}</td>
              <td>{t.effect.replace('_', ' ')}</td>
              <td>{t.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
