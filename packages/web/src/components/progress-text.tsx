import type { Progress } from '../api/types';

/** "1 of 2" per rule, with what is still missing. */
export function ProgressText({ progress }: { progress: Progress }) {
  return (
    <>
      {progress.clauses.map((c, i) => (
        <span key={c.rule}>
          {i > 0 && '; '}
          {c.approvals} of {c.quorum}
          {progress.clauses.length > 1 && ` (${c.rule})`}
          {c.missing.length > 0 &&
            `, still needs ${c.missing.map((m) => `${m.need} from ${m.group}`).join(' and ')}`}
        </span>
      ))}
    </>
  );
}
