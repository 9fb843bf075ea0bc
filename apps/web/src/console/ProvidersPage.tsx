import { useMutation, useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../api/errors';
import { useSession } from '../auth/session';
import { useProviders } from '../data/use-queues';
import styles from './console.module.css';

/**
 * Each provider as the router sees it, refreshed every few seconds, with a runtime switch (every gateway and worker
 * honours it within a second; a provider off in the config file stays off).
 */
export default function ProvidersPage() {
  const providers = useProviders();
  const { client } = useSession();
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: ({ name, enabled }: { name: string; enabled: boolean }) => client.setProviderEnabled(name, enabled),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['providers'] }),
  });
  return (
    <section className={styles.page} aria-label="Providers">
      <h1>Providers</h1>
      {toggle.error && <p role="alert" className={styles.error}>{errorMessage(toggle.error)}</p>}
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
            <th />
          </tr>
        </thead>
        <tbody>
          {providers.data?.data.map((p) => (
            <tr key={p.name}>
              <td>{p.name}</td>
              <td>{p.type}</td>
              <td aria-label={`Enabled ${p.name}`}>{p.enabled ? 'yes' : p.disabled_at_runtime ? 'off (switched)' : 'off (config)'}</td>
              <td className={p.circuit.state === 'closed' ? styles.closed : styles.open} aria-label={`Circuit of ${p.name}`}>
                {p.circuit.state}
              </td>
              <td>{p.health ? (p.health.ok ? 'ok' : `down: ${p.health.error ?? ''}`) : '—'}</td>
              <td>{p.recent.calls}</td>
              <td>{p.recent.error_rate === null ? '—' : `${Math.round(p.recent.error_rate * 100)}%`}</td>
              <td>{p.recent.avg_latency_ms === null ? '—' : `${Math.round(p.recent.avg_latency_ms)} ms`}</td>
              <td>
                {(p.enabled || p.disabled_at_runtime) && (
                  <button type="button" disabled={toggle.isPending} onClick={() => toggle.mutate({ name: p.name, enabled: !p.enabled })}>
                    {p.enabled ? `Disable ${p.name}` : `Enable ${p.name}`}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
