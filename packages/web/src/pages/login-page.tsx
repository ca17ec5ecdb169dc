import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../api/session';
import { useTitle } from '../hooks/use-title';
import { navigate, useLocation } from '../router';

/** Why a single sign-on came back refused (the server's `reason`), in words. */
const REFUSED: Record<string, string> = {
  not_in_directory:
    'Your identity provider signed you in, but no Countersign user matches you. Ask an admin to add you to the directory.',
  email_unverified: 'Your identity provider says your email address is not verified.',
  ambiguous_email: 'More than one Countersign user has your email address. Ask an admin.',
  state_mismatch: 'That sign-in did not start in this browser. Start again here.',
  expired: 'That sign-in took too long or was already used. Start again.',
  idp_error: 'The identity provider did not sign you in. Try again, or ask an admin.',
};

/** Sign-in: single sign-on when configured; otherwise how to use a one-time link. */
export function LoginPage() {
  useTitle('Sign in');
  const session = useSession();
  const { search } = useLocation();
  const [sso, setSso] = useState<boolean | null>(null);
  const error = search.get('error');
  // Only a path on this site: anything else would make sign-in an open redirect.
  const asked = search.get('return_to') ?? '/';
  const returnTo =
    asked.startsWith('/') && !asked.startsWith('//') && !asked.startsWith('/\\') ? asked : '/';

  // Already signed in (another tab, the back button): straight on.
  useEffect(() => {
    if (session.user) navigate(returnTo, { replace: true });
  }, [session.user, returnTo]);

  useEffect(() => {
    api<{ sso: boolean }>('/auth/config').then(
      (c) => setSso(c.sso),
      () => setSso(false),
    );
  }, []);

  return (
    <div className="login">
      <div className="card login-card">
        <h1 tabIndex={-1}>Sign in to Countersign</h1>
        <p className="muted">Review and decide what your AI agents ask to do.</p>
        {error && (
          <p className="alert" role="alert">
            {REFUSED[error] ?? `Sign-in refused (${error}).`}
          </p>
        )}
        {!error && session.reason && (
          <p className="notice" role="status">
            {session.reason[0]?.toUpperCase()}
            {session.reason.slice(1)}.
          </p>
        )}
        {sso && (
          <a
            className="button block"
            href={`/auth/login?return_to=${encodeURIComponent(returnTo)}`}
          >
            Sign in with single sign-on
          </a>
        )}
        {sso === false && (
          <p>
            This gateway has no single sign-on configured. Open a one-time login link in this
            browser: <code>npm start</code> prints one for each demo user, and an admin can make
            one.
          </p>
        )}
      </div>
    </div>
  );
}
