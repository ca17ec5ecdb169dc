import { useEffect, useRef } from 'react';
import { useSession } from './api/session';
import { ActionPage } from './pages/action-page';
import { AuditPage } from './pages/audit-page';
import { HistoryPage } from './pages/history-page';
import { InboxPage } from './pages/inbox-page';
import { LoginPage } from './pages/login-page';
import { NeedsRole, NotFoundPage } from './pages/not-found-page';
import { OneTimeLoginPage } from './pages/one-time-login-page';
import { InsightsPage } from './pages/insights-page';
import { PolicyPage } from './pages/policy-page';
import { StandingApprovalPage } from './pages/standing-approval-page';
import { StandingPage } from './pages/standing-page';
import { isPublic, matchRoute, type Route } from './routes';
import { Link, navigate, useLocation } from './router';

/** The shell: skip link, header with navigation and the person, and the page. */
export function App() {
  const session = useSession();
  const location = useLocation();
  const route = matchRoute(location.pathname);
  const main = useRef<HTMLElement>(null);

  // Signed out on a private page: to sign-in, remembering where they were going.
  const mustSignIn = !session.loading && session.user === null && !isPublic(route);
  useEffect(() => {
    if (!mustSignIn) return;
    const here = window.location.pathname + window.location.search;
    navigate(`/login${here === '/' ? '' : `?return_to=${encodeURIComponent(here)}`}`, {
      replace: true,
    });
  }, [mustSignIn]);

  // After in-page navigation, move focus to the new page's heading (as a page load would).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [location.pathname]);

  if (session.loading) {
    return (
      <p className="muted center" role="status">
        Loading…
      </p>
    );
  }
  if (isPublic(route) || session.user === null) {
    return (
      <main id="main" ref={main}>
        {route.name === 'one-time' ? <OneTimeLoginPage /> : <LoginPage />}
      </main>
    );
  }
  const user = session.user;
  const auditor = user.admin || user.auditor;
  const current = (name: Route['name']) => (route.name === name ? 'page' : undefined);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="top-inner">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              ✓
            </span>
            Countersign
          </Link>
          <nav aria-label="Main">
            <ul>
              <li>
                <Link to="/" aria-current={current('inbox')}>
                  Inbox
                </Link>
              </li>
              <li>
                <Link to="/history" aria-current={current('history')}>
                  History
                </Link>
              </li>
              <li>
                <Link
                  to="/standing-approvals"
                  aria-current={
                    current('standing') ?? (route.name === 'standing-approval' ? 'page' : undefined)
                  }
                >
                  Standing approvals
                </Link>
              </li>
              {auditor && (
                <li>
                  <Link to="/audit" aria-current={current('audit')}>
                    Audit
                  </Link>
                </li>
              )}
              {auditor && (
                <li>
                  <Link to="/policy" aria-current={current('policy')}>
                    Policy
                  </Link>
                </li>
              )}
              {auditor && (
                <li>
                  <Link to="/insights" aria-current={current('insights')}>
                    Insights
                  </Link>
                </li>
              )}
            </ul>
          </nav>
          <div className="who">
            <span className="who-name" title={user.groups.join(', ')}>
              {user.name ?? user.id}
              {user.admin && <span className="badge">admin</span>}
            </span>
            <button type="button" className="button link" onClick={() => void session.signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} auditor={auditor} search={location.search.toString()} />
      </main>
    </>
  );
}

function Page({ route, auditor, search }: { route: Route; auditor: boolean; search: string }) {
  switch (route.name) {
    case 'inbox':
      return <InboxPage />;
    case 'action':
      return <ActionPage key={route.id} id={route.id} />;
    case 'history':
      // A new filter is a new page: fresh state from the URL, no stale list in between.
      return <HistoryPage key={search} />;
    case 'audit':
      return auditor ? <AuditPage /> : <NeedsRole role="auditors and admins" />;
    case 'policy':
      return auditor ? <PolicyPage /> : <NeedsRole role="auditors and admins" />;
    case 'insights':
      return auditor ? <InsightsPage /> : <NeedsRole role="auditors and admins" />;
    case 'standing':
      return <StandingPage key={search} />;
    case 'standing-approval':
      return <StandingApprovalPage key={route.id} id={route.id} />;
    default:
      return <NotFoundPage />;
  }
}
