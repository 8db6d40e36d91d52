import { Navigate, useLocation } from 'react-router';
import { LoginForm } from '@/features/auth/components/login-form';
import { homePathFor, useAuth } from '@/lib/auth';
import styles from './login.module.css';

export function LoginRoute() {
  const { session, signIn, notice } = useAuth();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;

  // Logged in (now or already): back to the page asked for, else home by role.
  if (session) {
    const target = from && from.startsWith('/') && !from.startsWith('//') && !from.startsWith('/login') ? from : homePathFor(session.user.role);
    return <Navigate to={target} replace />;
  }

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
        <LoginForm onSuccess={signIn} />
      </section>
    </main>
  );
}
