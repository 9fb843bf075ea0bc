import { NavLink, Outlet } from 'react-router';
import { errorMessage } from '../api/errors';
import { useMe } from '../data/use-me';
import styles from './console.module.css';

/**
 * The console's sections, in sub-nav order. To add one: an entry here, and a child route under `console` in
 * app/router.tsx (lazy, so it stays in the console's chunks).
 */
const SECTIONS: { to: string; label: string; end?: boolean }[] = [
  { to: '/console', label: 'Home', end: true },
  { to: '/console/keys', label: 'Keys' },
  { to: '/console/agents', label: 'Agents' },
  { to: '/console/providers', label: 'Providers' },
  { to: '/console/queues', label: 'Queues' },
  { to: '/console/models', label: 'Models' },
  { to: '/console/benchmarks', label: 'Benchmarks' },
];

/** The operator's console: admins only (the API refuses a user key anyway; this spares it the dead ends). */
export default function ConsoleLayout() {
  const me = useMe();
  if (me.isPending) return <p className="boot">Loading…</p>;
  if (me.error) return <p role="alert" className={styles.error}>{errorMessage(me.error)}</p>;
  if (!me.isAdmin) {
    return (
      <div className={styles.page}>
        <h1>Console</h1>
        <p role="alert">The console needs an admin key. Sign in with one to manage keys, agents and providers.</p>
      </div>
    );
  }
  return (
    <div className={styles.frame}>
      <nav aria-label="Console" className={styles.subnav}>
        {SECTIONS.map((s) => (
          <NavLink key={s.to} to={s.to} end={s.end} className={({ isActive }) => (isActive ? styles.active : undefined)}>
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}
