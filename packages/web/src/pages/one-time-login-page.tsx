import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../api/session';
import type { SessionInfo } from '../api/types';
import { ProblemMessage } from '../components/problem-message';
import { useTitle } from '../hooks/use-title';
import { Link, navigate } from '../router';

/**
 * `/login/one-time?token=…`: signs in with a one-time link. The token is taken out of the
 * address bar at once (history, screenshots) and sent in a POST: a GET that signed in would be
 * spent by any link previewer that fetched the URL before the person did.
 */
export function OneTimeLoginPage() {
  useTitle('Signing in');
  const session = useSession();
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const token = new URLSearchParams(window.location.search).get('token') ?? '';
    window.history.replaceState(null, '', '/login/one-time');
    if (token === '') {
      // Back here without a token (the back button): nothing to use.
      navigate(session.user ? '/' : '/login', { replace: true });
      return;
    }
    api<SessionInfo>('/auth/one-time', { method: 'POST', body: { token } }).then((info) => {
      session.signedIn(info);
      navigate('/', { replace: true });
    }, setError);
  }, [session]);

  return (
    <div className="login">
      <div className="card login-card">
        <h1 tabIndex={-1}>Signing in…</h1>
        {error ? (
          <>
            <ProblemMessage error={error} />
            <p>
              <Link to="/login">Back to sign-in</Link>
            </p>
          </>
        ) : (
          <p role="status">Checking your one-time link.</p>
        )}
      </div>
    </div>
  );
}
