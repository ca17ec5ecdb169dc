import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { api, onSessionLost, setCsrfToken } from './client';
import type { SessionInfo, SessionUser } from './types';

interface SessionState {
  loading: boolean;
  user: SessionUser | null;
  expiresAt: string | null;
  /** Why the visitor is signed out (an expired or ended session), when we know. */
  reason: string | null;
}

interface SessionApi extends SessionState {
  /** After a sign-in that returned the session (one-time links). */
  signedIn(info: SessionInfo): void;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);

// setTimeout's limit (~24.8 days); sessions are at most 7 days.
const MAX_TIMER_MS = 2_147_483_647;

/** Who is signed in, read once from GET /auth/session and kept until the session ends. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({
    loading: true,
    user: null,
    expiresAt: null,
    reason: null,
  });

  const apply = useCallback((info: SessionInfo) => {
    setCsrfToken(info.csrf_token);
    setState({ loading: false, user: info.user, expiresAt: info.expires_at, reason: info.reason });
  }, []);

  const lost = useCallback((reason: string) => {
    setCsrfToken(null);
    setState({ loading: false, user: null, expiresAt: null, reason });
  }, []);

  useEffect(() => {
    onSessionLost(lost);
    api<SessionInfo>('/auth/session').then(apply, (e: unknown) =>
      lost(`could not reach the gateway: ${String(e)}`),
    );
  }, [apply, lost]);

  // The server ends the session at expires_at whatever we do; this only says so on time.
  useEffect(() => {
    if (state.expiresAt === null) return;
    const ms = Date.parse(state.expiresAt) - Date.now();
    const timer = setTimeout(
      () => lost('your session has expired: sign in again'),
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
    return () => clearTimeout(timer);
  }, [state.expiresAt, lost]);

  const value = useMemo<SessionApi>(
    () => ({
      ...state,
      signedIn: apply,
      signOut: async () => {
        await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
        lost('you signed out');
      },
    }),
    [state, apply, lost],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
