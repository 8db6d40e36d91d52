import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { paths } from '@/config/paths';
import type { Role } from '@/gql/graphql';
import { NotAllowed } from '@/components/ui/not-allowed';
import { Loading } from '@/components/ui/states';
import { changePasswordPath, loginPath } from './return-to';
import { closeSession, fetchMe, isStaff, openSession, type Session, type SessionUser } from './session';

type AuthValue = {
  /** `undefined` while the portal is still asking the daemon who it is. */
  session: Session | null | undefined;
  /** Keeps a login's token in the session cookie, then shows `user` as logged in. */
  signIn: (token: string, user: SessionUser) => Promise<void>;
  /** Forgets the session cookie; `notice` is shown on the login page (e.g. "session ended"). */
  signOut: (notice?: string) => Promise<void>;
  /** The same user, updated (e.g. no longer obliged to change his password). */
  updateUser: (user: SessionUser) => void;
  notice: string | null;
  /** Changes on every login and logout: what the GraphQL client is built for. */
  generation: number;
};

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({
  children,
  initialSession,
}: {
  children: ReactNode;
  /** For tests: who is logged in, without asking the daemon. */
  initialSession?: Session | null;
}) {
  const [session, setSession] = useState<Session | null | undefined>(initialSession);
  const [notice, setNotice] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (initialSession !== undefined) return;
    let live = true;
    void fetchMe().then((answer) => {
      if (!live) return;
      if (answer.kind === 'in') {
        setSession({ user: answer.user });
        return;
      }
      if (answer.kind === 'unreachable') setNotice('Cannot reach the itosm server. Check your connection and try again.');
      if (answer.kind === 'out' && answer.ended) {
        setNotice('Your session has ended. Please log in again.');
        // A cookie the daemon refuses is of no more use: drop it.
        void closeSession();
      }
      setSession(null);
    });
    return () => {
      live = false;
    };
  }, [initialSession]);

  const signIn = useCallback(async (token: string, user: SessionUser) => {
    await openSession(token);
    // A login's answer is read as the anonymous caller it came from, so
    // fields only the user himself may see (mustChangePassword) are null
    // there: ask again, now as him.
    const me = await fetchMe();
    setNotice(null);
    setGeneration((g) => g + 1);
    setSession({ user: me.kind === 'in' ? me.user : user });
  }, []);

  const signOut = useCallback(async (n?: string) => {
    await closeSession();
    setNotice(n ?? null);
    setGeneration((g) => g + 1);
    setSession(null);
  }, []);

  const updateUser = useCallback((user: SessionUser) => setSession({ user }), []);

  const value = useMemo(
    () => ({ session, signIn, signOut, updateUser, notice, generation }),
    [session, signIn, signOut, updateUser, notice, generation],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth must be used inside <AuthProvider>');
  return ctx;
}

/** Where a user lands on `/` and after logging in. */
export function homePathFor(role: Role | undefined): string {
  return isStaff(role) ? paths.admin : paths.myTickets;
}

/**
 * Sends anyone without a session to /login, remembering where they wanted to
 * go; a user who must change his password goes to that page first.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const location = useLocation();
  const here = location.pathname + location.search;
  if (session === undefined) return <Loading />;
  if (!session) return <Navigate to={loginPath(here)} replace />;
  if (session.user.mustChangePassword && location.pathname !== paths.changePassword) {
    return <Navigate to={changePasswordPath(here)} replace />;
  }
  return <>{children}</>;
}

/** Shows a clear "not allowed" page to users without one of `roles`. */
export function RequireRole({ roles, message, children }: { roles: Role[]; message?: string; children: ReactNode }) {
  const { session } = useAuth();
  if (!session || !roles.includes(session.user.role)) return <NotAllowed message={message} />;
  return <>{children}</>;
}
