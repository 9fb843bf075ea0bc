import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

/** The one command `publishCancel` needs, so callers that hold a narrower client (the API) can pass it. */
export interface CancelPublisher {
  publish(channel: string, message: string): Promise<number>;
}

/** The reason a gateway gives when a client went away; a run in the background ignores it. */
export const CLIENT_DISCONNECTED = 'client disconnected';

/** Asks whichever worker runs `runId` to abort it (client gone, owner or admin cancelled). */
export async function publishCancel(redis: CancelPublisher, keys: RedisKeys, runId: string, reason: string): Promise<void> {
  await redis.publish(keys.cancelChannel(), JSON.stringify({ runId, reason }));
}

/**
 * Worker side: one subscription per process; each message is checked against the runs this process holds.
 * `sub` must be a connection dedicated to subscribing.
 */
export async function listenForCancels(
  sub: Redis,
  keys: RedisKeys,
  onCancel: (runId: string, reason: string) => void,
): Promise<() => Promise<void>> {
  const channel = keys.cancelChannel();
  const handler = (ch: string, message: string): void => {
    if (ch !== channel) return;
    try {
      const { runId, reason } = JSON.parse(message) as { runId: string; reason: string };
      onCancel(runId, reason);
    } catch {
      // A malformed message is someone else's bug; never crash the worker over it.
    }
  };
  sub.on('message', handler);
  await sub.subscribe(channel);
  return async () => {
    sub.off('message', handler);
    await sub.unsubscribe(channel).catch(() => undefined);
  };
}
