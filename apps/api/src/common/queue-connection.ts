import { type SwitchboardConfig } from '@switchboard/contracts';
import { connectRedis, createRedis, type Redis } from '@switchboard/queue';
import { ApiError } from './api-error.js';

/**
 * A Redis connection for the API's queue handles, opened on first use: it fails fast (1 s to connect, no
 * offline queue) so a request never waits for a Redis that is away. BullMQ defines Lua commands on its
 * connection, hence no auto-pipelining (as for the gateway's queue connection).
 */
export async function openQueueConnection(config: SwitchboardConfig, name: string): Promise<Redis> {
  const { url } = config.redis;
  const redis = createRedis(url, name, { enableAutoPipelining: false });
  try {
    await connectRedis(redis, url, 1000);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  redis.options.enableOfflineQueue = false;
  return redis;
}

/** A Redis failure as the 503 the client gets; an ApiError passes as it is. */
export async function unavailableOnError<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(503, 'service_unavailable_error', `The queue (Redis) did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
}
