import { Navigate, useLocation, useNavigate } from 'react-router';
import { LoginForm } from '@/features/auth/components/login-form';
import { homePathFor, useAuth } from '@/lib/auth';
import styles from './login.module.css';

export function LoginRoute() {
  const { session, signIn, notice } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;

  if (session) return <Navigate to={homePathFor(session.user.role)} replace />;

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
        <LoginForm
          onSuccess={(s) => {
            signIn(s);
            const target = from && from !== '/login' && from.startsWith('/') ? from : homePathFor(s.user.role);
            navigate(target, { replace: true });
          }}
        />
      </section>
    </main>
  );
}
