import { z } from 'zod';
import type { RunStatus } from './run-events.js';

/**
 * Notifications about runs, pushed over socket.io (path /socket.io on the api). Workers emit them through the
 * socket.io Redis emitter, so any number of api instances can deliver them; a client receives the ones for
 * its own API key (room `key:<id>`) and for conversations it joined (room `conversation:<id>`).
 */
export const runNotificationTypes = ['run.started', 'run.progress', 'run.backgrounded', 'run.completed', 'run.failed'] as const;
export type RunNotificationType = (typeof runNotificationTypes)[number];

export interface RunNotification {
  /** The socket.io event name this notification is emitted under. */
  type: RunNotificationType;
  runId: string;
  conversationId: string | null;
  /** The owning key; null on an open install (no keys). */
  apiKeyId: string | null;
  status: RunStatus;
  /** The agent or pipeline the run belongs to, when it has one. */
  agent: string | null;
  /** run.progress: what is happening (a tool step); run.backgrounded: what the client was told. */
  message?: string;
  /** run.completed: the answer, as it was added to the conversation. */
  text?: string;
  /** run.failed: why. */
  error?: string;
  /**
   * run.completed / run.failed: the run had gone to the background, so its owner was promised this
   * notification. Carried on the notification itself because a tab opened after `run.backgrounded` never
   * heard that one.
   */
  background?: boolean;
  /** ISO 8601 time the worker emitted it. */
  at: string;
}

/** Room names, shared by the emitting worker and the api that joins sockets to them. */
export const notificationRooms = {
  /**
   * Every run of one key. Runs without a key id use `key:open`: those of an open install (no keys) and those
   * made with the keys from config (admin_key, api_key), which own the rows without a key id.
   */
  key: (apiKeyId: string | null): string => `key:${apiKeyId ?? 'open'}`,
  conversation: (conversationId: string): string => `conversation:${conversationId}`,
} as const;

/**
 * What a client sends with the socket.io events `subscribe` and `unsubscribe` (joining or leaving a
 * conversation's room), e.g. `socket.emit('subscribe', { conversationId }, (ack) => ...)`.
 */
export const conversationSubscriptionSchema = z.strictObject({ conversationId: z.guid() });
export type ConversationSubscription = z.output<typeof conversationSubscriptionSchema>;

/** The server's answer to `subscribe` / `unsubscribe`, through the client's ack callback. */
export type SubscriptionAck = { ok: true } | { ok: false; error: string };

/**
 * Model download notifications, pushed over the same socket.io server as run notifications. Every connected
 * socket is in the `models` room (the catalogue is no one's private data), so an operator's screen sees the
 * downloads whoever started them. The payload is the download's state as `GET /api/models/:name` shows it.
 */
export const modelDownloadNotificationTypes = ['model.download.progress', 'model.download.completed', 'model.download.failed'] as const;
export type ModelDownloadNotificationType = (typeof modelDownloadNotificationTypes)[number];

export const MODELS_ROOM = 'models';
