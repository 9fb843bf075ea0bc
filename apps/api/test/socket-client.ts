import { type RunNotification, type SubscriptionAck } from '@switchboard/contracts';
import { io, type Socket } from 'socket.io-client';

/** A socket.io client of the api's notifications, with everything it heard kept in order. */
export interface NotificationClient {
  socket: Socket;
  /** Every event received, as `[event name, payload]`. */
  received: [string, RunNotification][];
  /** Run ids of the notifications received, in order. */
  runIds(): string[];
  /** Resolves once a notification of that run arrived (rejects after a few seconds). */
  waitForRun(runId: string): Promise<void>;
  emitWithAck(event: string, ...args: unknown[]): Promise<SubscriptionAck>;
  close(): void;
}

export interface ConnectOptions {
  token?: string;
  headers?: Record<string, string>;
  /** Raw handshake `auth`, for malformed ones. */
  auth?: Record<string, unknown>;
}

/** Connects over websocket (no reconnection); rejects with the server's connect_error. */
export async function connectNotifications(url: string, options: ConnectOptions = {}): Promise<NotificationClient> {
  const socket = io(url, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    auth: options.auth ?? (options.token !== undefined ? { token: options.token } : {}),
    extraHeaders: options.headers,
  });
  const received: [string, RunNotification][] = [];
  const waiters: { runId: string; resolve: () => void }[] = [];
  socket.onAny((event: string, payload: RunNotification) => {
    received.push([event, payload]);
    for (const w of waiters.filter((w) => w.runId === payload.runId)) w.resolve();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error: Error) => {
      socket.close();
      reject(error);
    });
  });
  return {
    socket,
    received,
    runIds: () => received.map(([, n]) => n.runId),
    waitForRun(runId) {
      if (received.some(([, n]) => n.runId === runId)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notification of run ${runId} within 5 s`)), 5000);
        waiters.push({ runId, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    emitWithAck: (event, ...args) => socket.timeout(5000).emitWithAck(event, ...args) as Promise<SubscriptionAck>,
    close: () => socket.close(),
  };
}

/** The connect_error a handshake ends with, as `{ message, data }`. */
export async function connectError(url: string, options: ConnectOptions = {}): Promise<{ message: string; data: unknown }> {
  try {
    const client = await connectNotifications(url, options);
    client.close();
  } catch (error) {
    const e = error as Error & { data?: unknown };
    return { message: e.message, data: e.data };
  }
  throw new Error('the handshake was accepted');
}
