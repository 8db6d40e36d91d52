import { useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useQuery } from 'urql';
import { Loading } from '@/components/ui/states';
import { AuthMethodsQuery } from '@/features/auth/api/login';
import { LoginForm } from '@/features/auth/components/login-form';
import { homePathFor, useAuth } from '@/lib/auth';
import { changePasswordPath, returnToOf } from '@/lib/return-to';
import styles from './login.module.css';

type Method = 'employeeId' | 'password';

export function LoginRoute() {
  const { session, signIn, notice } = useAuth();
  const location = useLocation();
  const returnTo = returnToOf(location.search);
  const [{ data }] = useQuery({ query: AuthMethodsQuery });
  const [picked, setPicked] = useState<Method | null>(null);

  if (session === undefined) return <Loading />;
  // Logged in (now or already): back to the page asked for, else home by
  // role; a password an admin reset is changed first.
  if (session) {
    if (session.user.mustChangePassword) return <Navigate to={changePasswordPath(returnTo)} replace />;
    return <Navigate to={returnTo ?? homePathFor(session.user.role)} replace />;
  }

  // Until the daemon says, offer the employee ID form (the embedded
  // default) so a slow answer never leaves an empty page.
  const methods = data?.authMethods ?? { employeeId: true, password: false, oidc: false, oidcLoginPath: null };
  const offered: Method[] = [
    ...(methods.employeeId ? (['employeeId'] as const) : []),
    ...(methods.password ? (['password'] as const) : []),
  ];
  const method = picked && offered.includes(picked) ? picked : offered[0];
  const sso = methods.oidc && methods.oidcLoginPath ? withReturnTo(methods.oidcLoginPath, returnTo) : null;

  return (
    <main id="main" className={styles.page}>
      <section className={`card ${styles.box}`} aria-labelledby="login-title">
        <p className={styles.brand}>itosm</p>
        <h1 id="login-title">Log in to the IT help desk</h1>
        {notice && (
          <p className={styles.notice} role="status">
            {notice}
          </p>
        )}
        {sso && (
          <p>
            <a className="button" href={sso} data-testid="login-sso">
              Log in with single sign-on
            </a>
          </p>
        )}
        {offered.length > 1 && (
          <div className={styles.methods} role="group" aria-label="How to log in">
            {offered.map((m) => (
              <button
                key={m}
                type="button"
                className={`button small ${m === method ? '' : 'secondary'}`}
                aria-pressed={m === method}
                data-testid={`login-method-${m}`}
                onClick={() => setPicked(m)}
              >
                {m === 'password' ? 'With a password' : 'With your employee ID'}
              </button>
            ))}
          </div>
        )}
        {method && <LoginForm key={method} kind={method} onSuccess={signIn} />}
        {!method && !sso && data && <p role="alert">No way of logging in is turned on here. Ask IT.</p>}
      </section>
    </main>
  );
}

function withReturnTo(path: string, returnTo: string | null): string {
  if (!returnTo) return path;
  return `${path}${path.includes('?') ? '&' : '?'}returnTo=${encodeURIComponent(returnTo)}`;
}
