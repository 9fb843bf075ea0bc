import type { ModelCatalogueDto, ModelDownloadDto, ModelDownloadNotificationType, RunNotification } from '@switchboard/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api/client';
import { Link } from 'react-router';
import { io } from 'socket.io-client';
import { useSession } from '../auth/session';
import { CATALOGUE_KEY, withDownload } from '../data/model-downloads';
import styles from './notifications.module.css';

interface Toast {
  id: string;
  notification: RunNotification;
}

/**
 * The model download events, as a record so the compiler notices one added to the contract (the contracts' values
 * are not imported here: their entry point carries node-only code).
 */
const DOWNLOAD_EVENTS: Record<ModelDownloadNotificationType, { ended: boolean }> = {
  'model.download.progress': { ended: false },
  'model.download.completed': { ended: true },
  'model.download.failed': { ended: true },
};

/** Runs that went to the background, by id: the chat shows "continuing in the background" for them. */
const BackgroundRuns = createContext<ReadonlySet<string>>(new Set());

export function useBackgroundRuns(): ReadonlySet<string> {
  return useContext(BackgroundRuns);
}

type Follow = (runId: string, conversationId: string | null) => void;
const FollowBackground = createContext<Follow>(() => undefined);

/** Marks a run the page knows went to the background, so that its result is shown even if its notifications were missed. */
export function useFollowBackground(): Follow {
  return useContext(FollowBackground);
}

/**
 * The notification a socket.io event would have brought, read from the API instead: for a background run that
 * ended while no socket was connected (the page had only just loaded, or the connection blinked).
 */
async function endedRun(client: ApiClient, runId: string, conversationId: string | null): Promise<RunNotification | null> {
  const run = await client.run(runId);
  if (run.status !== 'succeeded' && run.status !== 'failed') return null;
  const conversation = run.conversation_id ?? conversationId;
  const answer = conversation ? (await client.messages(conversation)).findLast((m) => m.run_id === runId && m.role === 'assistant') : undefined;
  return {
    type: run.status === 'failed' ? 'run.failed' : 'run.completed',
    runId,
    conversationId: conversation,
    apiKeyId: null,
    status: run.status,
    agent: null,
    text: answer?.content ?? '',
    ...(run.error ? { error: run.error } : {}),
    at: run.finished_at ?? new Date().toISOString(),
  };
}

/**
 * Run notifications over socket.io (the api's /socket.io, the key's room): a run that went to the background
 * is marked, and when it completes or fails a notification appears and the conversation, the runs and the
 * run's page are read again, so the result shows in every open tab. The same socket carries model downloads'
 * progress into the model catalogue's query.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { key, client } = useSession();
  const queryClient = useQueryClient();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [background, setBackground] = useState<ReadonlySet<string>>(new Set());
  // The same set, read by the socket's handlers (state updaters must stay free of side effects).
  const backgroundRef = useRef(new Set<string>());
  // Their conversations, for reading a missed result back.
  const conversationsRef = useRef(new Map<string, string | null>());
  // A run's end, from a socket.io event or read back from the API: shown once, whichever comes first.
  const endedRef = useRef<(n: RunNotification) => void>(() => undefined);
  const check = useCallback(
    (runId: string) => {
      endedRun(client, runId, conversationsRef.current.get(runId) ?? null).then(
        (n) => n && endedRef.current(n),
        () => undefined, // the socket's event, or the next check, will tell
      );
    },
    [client],
  );
  const follow = useCallback<Follow>(
    (runId, conversationId) => {
      const known = backgroundRef.current;
      if (known.has(runId) || conversationsRef.current.has(runId)) return;
      known.add(runId);
      conversationsRef.current.set(runId, conversationId);
      setBackground(new Set(known));
      check(runId);
    },
    [check],
  );

  useEffect(() => {
    const socket = io({ path: '/socket.io', auth: key ? { token: key } : {}, transports: ['websocket'] });
    const refresh = (n: RunNotification) => {
      if (n.conversationId) void queryClient.invalidateQueries({ queryKey: ['messages', n.conversationId] });
      void queryClient.invalidateQueries({ queryKey: ['conversations'] });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['run', n.runId] });
    };
    const known = backgroundRef.current;
    const ended = (n: RunNotification) => {
      refresh(n);
      // Only runs that went to the background: a person waiting for a sync answer is watching it already.
      // The notification says so itself, so a tab opened after `run.backgrounded` toasts it too.
      if (!known.delete(n.runId) && n.background !== true) return;
      setBackground(new Set(known));
      setToasts((t) => (t.some((x) => x.id === n.runId) ? t : [...t, { id: n.runId, notification: n }]));
    };
    endedRef.current = ended;
    socket.on('run.backgrounded', (n: RunNotification) => {
      known.add(n.runId);
      conversationsRef.current.set(n.runId, n.conversationId);
      setBackground(new Set(known));
    });
    for (const type of ['run.completed', 'run.failed'] as const) socket.on(type, ended);
    // Downloads (every socket is in the models room): the bar moves with each event; at the end the catalogue is
    // read again, since the file, its memory estimate and the hint changed too.
    for (const [type, { ended }] of Object.entries(DOWNLOAD_EVENTS)) {
      socket.on(type, (state: ModelDownloadDto) => {
        queryClient.setQueryData<ModelCatalogueDto>(CATALOGUE_KEY, (catalogue) => catalogue && withDownload(catalogue, state));
        if (ended) void queryClient.invalidateQueries({ queryKey: CATALOGUE_KEY });
      });
    }
    // Events sent while this socket was not connected are not sent again: read the runs it waits for back.
    socket.on('connect', () => {
      for (const runId of known) check(runId);
    });
    return () => {
      socket.close();
    };
  }, [key, queryClient, check]);

  return (
    <FollowBackground.Provider value={follow}>
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
    </FollowBackground.Provider>
  );
}
