import { errorMessage } from '../api/errors';
import { useProviders } from '../data/use-queues';
import styles from './console.module.css';

/** Each provider as the router sees it, refreshed every few seconds. Read-only: enabling is config for now. */
export default function ProvidersPage() {
  const providers = useProviders();
  return (
    <section className={styles.page} aria-label="Providers">
      <h1>Providers</h1>
      {providers.error && <p role="alert" className={styles.error}>{errorMessage(providers.error)}</p>}
      <table className={styles.table} aria-label="Provider status">
        <thead>
          <tr>
            <th>Provider</th>
            <th>Type</th>
            <th>Enabled</th>
            <th>Circuit</th>
            <th>Health</th>
            <th>Calls (15 min)</th>
            <th>Error rate</th>
            <th>Avg latency</th>
          </tr>
        </thead>
        <tbody>
          {providers.data?.data.map((p) => (
            <tr key={p.name}>
              <td>{p.name}</td>
              <td>{p.type}</td>
              <td>{p.enabled ? 'yes' : 'no'}</td>
              <td className={p.circuit.state === 'closed' ? styles.closed : styles.open} aria-label={`Circuit of ${p.name}`}>
                {p.circuit.state}
              </td>
              <td>{p.health ? (p.health.ok ? 'ok' : `down: ${p.health.error ?? ''}`) : '—'}</td>
              <td>{p.recent.calls}</td>
              <td>{p.recent.error_rate === null ? '—' : `${Math.round(p.recent.error_rate * 100)}%`}</td>
              <td>{p.recent.avg_latency_ms === null ? '—' : `${Math.round(p.recent.avg_latency_ms)} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
