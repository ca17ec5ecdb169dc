import { useTitle } from '../hooks/use-title';
import { Link } from '../router';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        There is no page here. <Link to="/">Go to the inbox</Link>.
      </p>
    </>
  );
}

/** A page for auditors and admins only; the API refuses the data to others anyway. */
export function NeedsRole({ role }: { role: string }) {
  useTitle('Not allowed');
  return (
    <>
      <h1 tabIndex={-1}>Not allowed</h1>
      <p>This page is for {role}. The gateway refuses its data to other users.</p>
    </>
  );
}
