import { errorText } from '../api/client';

/** An error as an alert: announced by screen readers when it appears. */
export function ProblemMessage({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="alert" role="alert">
      {errorText(error)}
    </p>
  );
}
