import type { RunNotification } from '@switchboard/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { io } from 'socket.io-client';
import { useSession } from '../auth/session';
import styles from './notifications.module.css';

interface Toast {
  id: string;
  notification: RunNotification;
}

/** Runs that went to the background, by id: the chat shows "continuing in the background" for them. */
const BackgroundRuns = createContext<ReadonlySet<string>>(new Set());

export function useBackgroundRuns(): ReadonlySet<string> {
  return useContext(BackgroundRuns);
}

/**
 * Run notifications over socket.io (the api's /socket.io, the key's room): a run that went to the background
 * is marked, and when it completes or fails a notification appears and the conversation, the runs and the
 * run's page are read again, so the result shows in every open tab.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { key } = useSession();
  const queryClient = useQueryClient();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [background, setBackground] = useState<ReadonlySet<string>>(new Set());
  // The same set, read by the socket's handlers (state updaters must stay free of side effects).
  const backgroundRef = useRef(new Set<string>());

  useEffect(() => {
    const socket = io({ path: '/socket.io', auth: key ? { token: key } : {}, transports: ['websocket'] });
    const refresh = (n: RunNotification) => {
      if (n.conversationId) void queryClient.invalidateQueries({ queryKey: ['messages', n.conversationId] });
      void queryClient.invalidateQueries({ queryKey: ['conversations'] });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['run', n.runId] });
    };
    const known = backgroundRef.current;
    socket.on('run.backgrounded', (n: RunNotification) => {
      known.add(n.runId);
      setBackground(new Set(known));
    });
    for (const type of ['run.completed', 'run.failed'] as const) {
      socket.on(type, (n: RunNotification) => {
        refresh(n);
        // Only runs that went to the background: a person waiting for a sync answer is watching it already.
        // The notification says so itself, so a tab opened after `run.backgrounded` toasts it too.
        const wasKnown = known.delete(n.runId);
        if (!wasKnown && n.background !== true) return;
        setBackground(new Set(known));
        setToasts((t) => (t.some((x) => x.id === n.runId) ? t : [...t, { id: n.runId, notification: n }]));
      });
    }
    return () => {
      socket.close();
    };
  }, [key, queryClient]);

  return (
    <BackgroundRuns.Provider value={background}>
      {children}
      <section className={styles.region} aria-label="Notifications">
        {toasts.map(({ id, notification: n }) => (
          <div key={id} role="status" className={n.type === 'run.failed' ? styles.failed : styles.toast}>
            <strong>{n.type === 'run.failed' ? 'A background run failed' : 'A background run finished'}</strong>
            <p>{n.type === 'run.failed' ? n.error : (n.text ?? '').slice(0, 140)}</p>
            <div className={styles.actions}>
              {n.conversationId && <Link to={`/chat/${n.conversationId}`}>Open the conversation</Link>}
              <Link to={`/runs/${n.runId}`}>Run details</Link>
              <button type="button" onClick={() => setToasts((t) => t.filter((x) => x.id !== id))}>
                Dismiss
              </button>
            </div>
          </div>
        ))}
      </section>
    </BackgroundRuns.Provider>
  );
}
