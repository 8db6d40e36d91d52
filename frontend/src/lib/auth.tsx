import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { paths } from '@/config/paths';
import type { Role } from '@/gql/graphql';
import { NotAllowed } from '@/components/ui/not-allowed';
import { clearSession, isStaff, loadSession, saveSession, type Session } from './session';

type AuthValue = {
  session: Session | null;
  signIn: (session: Session) => void;
  /** Forgets the token; `notice` is shown on the login page (e.g. "session ended"). */
  signOut: (notice?: string) => void;
  notice: string | null;
};

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({
  children,
  initialSession,
}: {
  children: ReactNode;
  initialSession?: Session | null;
}) {
  const [session, setSession] = useState<Session | null>(() =>
    initialSession === undefined ? loadSession() : initialSession,
  );
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback((s: Session) => {
    saveSession(s);
    setNotice(null);
    setSession(s);
  }, []);

  const signOut = useCallback((n?: string) => {
    clearSession();
    setNotice(n ?? null);
    setSession(null);
  }, []);

  const value = useMemo(() => ({ session, signIn, signOut, notice }), [session, signIn, signOut, notice]);
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

/** Sends anyone without a session to /login, remembering where they wanted to go. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const location = useLocation();
  if (!session) {
    const from = location.pathname + location.search;
    return <Navigate to={paths.login} replace state={{ from }} />;
  }
  return <>{children}</>;
}

/** Shows a clear "not allowed" page to users without one of `roles`. */
export function RequireRole({ roles, message, children }: { roles: Role[]; message?: string; children: ReactNode }) {
  const { session } = useAuth();
  if (!session || !roles.includes(session.user.role)) return <NotAllowed message={message} />;
  return <>{children}</>;
}
