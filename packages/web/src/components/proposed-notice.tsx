import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../api/session';
import type { StandingApproval } from '../api/types';
import { Link } from '../router';

/**
 * On the inbox: proposed standing approvals this person has not endorsed yet, as one link to
 * the list. A quorum-2 proposal approves nothing until a second person endorses it, so the
 * second person has to learn of it somewhere. Whether they may endorse is the gateway's call.
 */
export function ProposedNotice() {
  const me = useSession().user?.id;
  const [count, setCount] = useState(0);
  useEffect(() => {
    api<{ items: StandingApproval[] }>('/v1/standing-approvals?status=proposed').then(
      (list) =>
        setCount(list.items.filter((sa) => !sa.endorsers.some((e) => e.user === me)).length),
      // Not a reason to disturb the inbox: the Standing approvals page shows any problem.
      () => setCount(0),
    );
  }, [me]);
  if (count === 0) return null;
  return (
    <p className="notice" data-proposed-notice="">
      <Link to="/standing-approvals?status=proposed">
        {count === 1 ? '1 proposed standing approval' : `${count} proposed standing approvals`}
      </Link>{' '}
      {count === 1 ? 'waits' : 'wait'} for endorsement.
    </p>
  );
}
