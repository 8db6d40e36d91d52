import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { paths } from '@/config/paths';
import { LogoutEverywhereMutation } from '@/features/account/api/account';
import { useAuth } from '@/lib/auth';
import { describeError } from '@/lib/errors';
import { isStaff } from '@/lib/session';
import styles from './app-layout.module.css';

const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? `${styles.link} ${styles.active}` : styles.link);

/** Header, navigation, the user menu and logout around every logged-in page. */
export function AppLayout() {
  const { session, signOut } = useAuth();
  const navigate = useNavigate();
  const staff = isStaff(session?.user.role);
  const admin = session?.user.role === 'ADMIN';
  // Until a reset password is changed, nothing else is on offer.
  const restricted = Boolean(session?.user.mustChangePassword);
  const [{ fetching: endingAll }, logoutEverywhere] = useMutation(LogoutEverywhereMutation);
  const [menuError, setMenuError] = useState<string | null>(null);

  const logout = async () => {
    await signOut();
    navigate(paths.login, { replace: true });
  };

  const logoutAll = async () => {
    setMenuError(null);
    const result = await logoutEverywhere({});
    if (result.error) {
      setMenuError(describeError(result.error));
      return;
    }
    await signOut('You are logged out on every device.');
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
            {!restricted && (
              <>
                {staff && (
                  <NavLink to={paths.admin} className={navClass} end>
                    Dashboard
                  </NavLink>
                )}
                {admin && (
                  <NavLink to={paths.adminUsers} className={navClass} data-testid="nav-users">
                    Users
                  </NavLink>
                )}
                {admin && (
                  <NavLink to={paths.adminCatalog} className={navClass} data-testid="nav-catalog">
                    Catalog
                  </NavLink>
                )}
                {admin && (
                  <NavLink to={paths.adminEnrolment} className={navClass} data-testid="nav-enrolment">
                    Enrolment
                  </NavLink>
                )}
                <NavLink to={paths.assets} className={navClass} data-testid="nav-devices">
                  Devices
                </NavLink>
                <NavLink to={paths.newRequest} className={navClass}>
                  New request
                </NavLink>
                <NavLink to={paths.myTickets} className={navClass}>
                  My tickets
                </NavLink>
              </>
            )}
          </nav>
          <div className={styles.user}>
            <details className={styles.menu} data-testid="user-menu">
              <summary className={styles.summary} aria-label="Account">
                <span className={styles.name} data-testid="current-user" title={session?.user.username}>
                  {session?.user.displayName || session?.user.username}
                </span>
              </summary>
              <div className={styles.menuBody}>
                {!restricted && (
                  <NavLink to={paths.changePassword} className={styles.menuItem} data-testid="nav-change-password">
                    Change password
                  </NavLink>
                )}
                <button
                  type="button"
                  className={styles.menuItem}
                  onClick={() => void logoutAll()}
                  disabled={endingAll}
                  data-testid="logout-everywhere"
                >
                  Log out everywhere
                </button>
                {menuError && (
                  <p role="alert" className="field-error">
                    {menuError}
                  </p>
                )}
              </div>
            </details>
            <button type="button" className="button secondary small" onClick={() => void logout()} data-testid="logout">
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
