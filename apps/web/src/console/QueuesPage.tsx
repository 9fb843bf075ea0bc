import { useMutation } from '@tanstack/react-query';
import { errorMessage } from '../api/errors';
import { useSession } from '../auth/session';
import styles from './console.module.css';

const BOARD = '/api/admin/queues';

/**
 * bull-board, the BullMQ dashboard, in a frame. A frame cannot send the Bearer key, so the page first asks the
 * API (with the key) for a board session: a short-lived HttpOnly cookie scoped to the board's path.
 */
export default function QueuesPage() {
  const { client } = useSession();
  const session = useMutation({ mutationFn: () => client.api<void>('POST', '/api/queues/board-session') });
  return (
    <section className={styles.page} aria-label="Queues">
      <h1>Queues</h1>
      {session.error && <p role="alert" className={styles.error}>{errorMessage(session.error)}</p>}
      {session.isSuccess ? (
        <>
          <p className={styles.muted}>
            The session lasts 15 minutes. <a href={BOARD} target="_blank" rel="noreferrer">Open in a new tab</a>
          </p>
          <iframe title="Queue board" src={BOARD} style={{ width: '100%', height: '75vh', border: '1px solid var(--border)', borderRadius: 8 }} />
        </>
      ) : (
        <button type="button" onClick={() => session.mutate()} disabled={session.isPending}>
          Open the queue board
        </button>
      )}
    </section>
  );
}
