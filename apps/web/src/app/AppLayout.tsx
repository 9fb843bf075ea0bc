import { NavLink, Outlet } from 'react-router';
import { useSession } from '../auth/session';
import { useMe } from '../data/use-me';
import { NotificationsProvider } from '../notifications/notifications';
import styles from './layout.module.css';

/**
 * The frame of every page: the sections of the app (chat, run history, and the operator's console for admins, or
 * a user key's own usage) and whoever is signed in.
 */
export function AppLayout() {
  const { key, signOut, config } = useSession();
  const { isAdmin } = useMe();
  return (
    <NotificationsProvider>
      <div className={styles.shell}>
        <header className={styles.header}>
          <span className={styles.brand}>Switchboard</span>
          <nav aria-label="Sections" className={styles.nav}>
            <NavLink to="/" end className={({ isActive }) => (isActive ? styles.active : undefined)}>
              Chat
            </NavLink>
            <NavLink to="/runs" className={({ isActive }) => (isActive ? styles.active : undefined)}>
              Runs
            </NavLink>
            <NavLink to="/pipelines/manual" className={({ isActive }) => (isActive ? styles.active : undefined)}>
              Manual pipeline
            </NavLink>
            {isAdmin ? (
              <NavLink to="/console" className={({ isActive }) => (isActive ? styles.active : undefined)}>
                Console
              </NavLink>
            ) : (
              // A user key's one console page: its own usage (the API shows it nothing else).
              <NavLink to="/console/usage" className={({ isActive }) => (isActive ? styles.active : undefined)}>
                Usage
              </NavLink>
            )}
          </nav>
          <span className={styles.who}>
            {config.auth === 'open' ? 'Open install (no key needed)' : `Key ${key?.slice(0, 8) ?? ''}…`}
            {key && (
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            )}
          </span>
        </header>
        <main className={styles.main}>
          <Outlet />
        </main>
      </div>
    </NotificationsProvider>
  );
}
