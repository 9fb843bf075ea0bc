import { Emitter } from '@socket.io/redis-emitter';
import { notificationRooms, type RunNotification } from '@switchboard/contracts';
import type { RedisKeys } from './keys.js';

/** The one command the notifier needs; an ioredis `Redis` fits (a command connection, not a subscriber). */
export interface NotificationPublisher {
  publish(channel: string, message: Buffer): Promise<number>;
}

/** Where a notification that could not be published is reported; a pino logger fits. */
export interface NotifierLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Pushes run notifications to socket.io clients from any process (the workers), through the socket.io Redis
 * emitter: one PUBLISH under `keys.socketIoKey()`, which every api instance's Redis adapter listens on and
 * delivers to its own sockets in the target rooms.
 *
 * Best effort by design: the durable record of a run is its Run row (and the message it adds to the
 * conversation), which clients can always read back over REST. So a notification that Redis does not take is
 * logged and dropped; `notify` never throws into the run that sent it.
 */
export class RunNotifier {
  private readonly key: string;

  constructor(
    private readonly redis: NotificationPublisher,
    keys: RedisKeys,
    private readonly logger?: NotifierLogger,
  ) {
    this.key = keys.socketIoKey();
  }

  /**
   * Emits event `n.type` with payload `n` to the owning key's room and, when the run has one, its
   * conversation's room. One emit to both rooms: a socket in both receives it once. Resolves once Redis took
   * the message or the attempt failed (logged); never rejects.
   */
  async notify(n: RunNotification): Promise<void> {
    const rooms = [notificationRooms.key(n.apiKeyId)];
    if (n.conversationId !== null) rooms.push(notificationRooms.conversation(n.conversationId));
    try {
      await emitToRooms(this.redis, this.key, rooms, n.type, n);
    } catch (error) {
      this.logger?.warn(
        { err: error instanceof Error ? error.message : String(error), runId: n.runId, type: n.type },
        'run notification dropped: Redis did not take it (the run itself is unaffected)',
      );
    }
  }
}

/**
 * One socket.io emit through Redis, awaited. The emitter fires PUBLISH and drops the promise, so a failed one
 * would be an unhandled rejection that ends the process; handing it a publisher that keeps the promise lets
 * the caller await the failure and log it.
 */
export async function emitToRooms(redis: NotificationPublisher, key: string, rooms: string[], event: string, payload: unknown): Promise<void> {
  const published: Promise<number>[] = [];
  const publisher: NotificationPublisher = {
    publish: (channel, message) => {
      const promise = redis.publish(channel, message);
      published.push(promise);
      return promise;
    },
  };
  new Emitter(publisher, { key }).to(rooms).emit(event, payload);
  await Promise.all(published);
}
