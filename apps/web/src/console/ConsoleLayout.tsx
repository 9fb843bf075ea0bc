import { NavLink, Outlet, useLocation } from 'react-router';
import { errorMessage } from '../api/errors';
import { useMe } from '../data/use-me';
import styles from './console.module.css';

/**
 * The console's sections, in sub-nav order. To add one: an entry here, and a child route under `console` in
 * app/router.tsx (lazy, so it stays in the console's chunks). `everyKey`: open to user keys too, because the
 * API scopes what they see to their own key (the other sections are admin routes).
 */
const SECTIONS: { to: string; label: string; end?: boolean; everyKey?: boolean }[] = [
  { to: '/console', label: 'Home', end: true },
  { to: '/console/keys', label: 'Keys' },
  { to: '/console/agents', label: 'Agents' },
  { to: '/console/providers', label: 'Providers' },
  { to: '/console/queues', label: 'Queues' },
  { to: '/console/usage', label: 'Usage', everyKey: true },
  { to: '/console/models', label: 'Models' },
  { to: '/console/benchmarks', label: 'Benchmarks' },
];

/**
 * The operator's console: admins only, but for the `everyKey` sections (the API refuses a user key the others
 * anyway; this spares it the dead ends).
 */
export default function ConsoleLayout() {
  const me = useMe();
  const { pathname } = useLocation();
  if (me.isPending) return <p className="boot">Loading…</p>;
  if (me.error) return <p role="alert" className={styles.error}>{errorMessage(me.error)}</p>;
  const sections = me.isAdmin ? SECTIONS : SECTIONS.filter((s) => s.everyKey);
  if (!me.isAdmin && !sections.some((s) => pathname === s.to || pathname.startsWith(`${s.to}/`))) {
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
        {sections.map((s) => (
          <NavLink key={s.to} to={s.to} end={s.end} className={({ isActive }) => (isActive ? styles.active : undefined)}>
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}
