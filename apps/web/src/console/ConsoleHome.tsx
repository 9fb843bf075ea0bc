import { errorMessage } from '../api/errors';
import { useQueueOverview } from '../data/use-queues';
import styles from './console.module.css';

/** Queue depth per queue and the runs being worked on now, refreshed every few seconds. */
export default function ConsoleHome() {
  const overview = useQueueOverview();
  const data = overview.data;
  return (
    <section className={styles.page} aria-label="Console home">
      <h1>Console</h1>
      {overview.error && <p role="alert" className={styles.error}>{errorMessage(overview.error)}</p>}
      {data && (
        <>
          <div className={styles.cards}>
            <div className={styles.card} aria-label="Active runs">
              Active runs <strong>{data.active_runs}</strong>
              <span className={styles.muted}>{data.inline_runs} inline</span>
            </div>
            <div className={styles.card} aria-label="Queued runs">
              Queued runs <strong>{(data.queues.find((q) => q.name === 'runs')?.waiting ?? 0) + (data.queues.find((q) => q.name === 'runs')?.prioritized ?? 0)}</strong>
            </div>
          </div>
          <h2>Queues</h2>
          <table className={styles.table} aria-label="Queue depth">
            <thead>
              <tr>
                <th>Queue</th>
                <th>Waiting</th>
                <th>Active</th>
                <th>Delayed</th>
                <th>Failed</th>
                <th>Completed</th>
              </tr>
            </thead>
            <tbody>
              {data.queues.map((q) => (
                <tr key={q.name}>
                  <td>{q.name}</td>
                  <td>{q.waiting + q.prioritized}</td>
                  <td>{q.active}</td>
                  <td>{q.delayed}</td>
                  <td>{q.failed}</td>
                  <td>{q.completed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
