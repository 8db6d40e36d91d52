import { NavLink, Outlet, useNavigate } from 'react-router';
import { paths } from '@/config/paths';
import { useAuth } from '@/lib/auth';
import { isStaff } from '@/lib/session';
import styles from './app-layout.module.css';

const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? `${styles.link} ${styles.active}` : styles.link);

/** Header, navigation and logout around every logged-in page. */
export function AppLayout() {
  const { session, signOut } = useAuth();
  const navigate = useNavigate();
  const staff = isStaff(session?.user.role);

  const logout = () => {
    signOut();
    navigate(paths.login, { replace: true });
  };

  return (
    <div className={styles.shell}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className={styles.header}>
        <div className={styles.bar}>
          <NavLink to={paths.root} className={styles.brand} aria-label="itosm home">
            itosm
          </NavLink>
          <nav aria-label="Main" className={styles.nav}>
            {staff && (
              <NavLink to={paths.admin} className={navClass} end>
                Dashboard
              </NavLink>
            )}
            {session?.user.role === 'ADMIN' && (
              <NavLink to={paths.adminUsers} className={navClass} data-testid="nav-users">
                Users
              </NavLink>
            )}
            <NavLink to={paths.newRequest} className={navClass}>
              New request
            </NavLink>
            <NavLink to={paths.myTickets} className={navClass}>
              My tickets
            </NavLink>
          </nav>
          <div className={styles.user}>
            <span className={styles.name} data-testid="current-user" title={session?.user.username}>
              {session?.user.displayName || session?.user.username}
            </span>
            <button type="button" className="button secondary small" onClick={logout} data-testid="logout">
              Log out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
