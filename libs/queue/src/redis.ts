import { Redis, type RedisOptions } from 'ioredis';

/** Redis URL with any password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid redis url>';
  }
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor(url: string, cause: unknown) {
    super(
      `Redis is not reachable at ${redactRedisUrl(url)} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Start one with `redis-server --daemonize yes --port 6379` (or `docker run -p 6379:6379 redis:7`), ' +
        'or point REDIS_URL at yours.',
      { cause },
    );
  }
}

/**
 * Defines a Lua command on a connection, once (a no-op when the connection has it already).
 *
 * ioredis (6.x) copies a connection's commands into an auto-pipeline when it creates one, so a pipeline still
 * waiting for its tick lacks a command defined meanwhile: calling the command then is lost, and when the
 * pipeline runs, its reply handler throws outside any promise and the process dies (`results[i] is not
 * iterable`; it took down a freshly started worker under load, e2e/worker-faults). So the waiting pipelines
 * get the command too, as their constructor would have given it.
 */
export function defineRedisCommand(redis: Redis, name: string, definition: { numberOfKeys?: number; lua: string }): void {
  const own = redis as unknown as Record<string, unknown> & { _autoPipelines?: Map<string, Record<string, unknown>> };
  if (typeof own[name] === 'function') return;
  redis.defineCommand(name, definition);
  for (const pipeline of own._autoPipelines?.values() ?? []) {
    pipeline[name] = own[name];
    pipeline[`${name}Buffer`] = own[`${name}Buffer`];
  }
}

/**
 * One ioredis connection. `maxRetriesPerRequest: null` is what BullMQ needs for blocking commands; commands
 * issued while Redis is away fail fast instead of queueing forever (`enableOfflineQueue` off after the first
 * connect), so callers can answer 503 within a second.
 */
export function createRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: `switchboard:${name}`,
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    lazyConnect: true,
    ...extra,
  });
  // ioredis emits 'error' on every failed reconnect; without a listener Node would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/** Connects, or throws a RedisUnavailableError that says how to get a Redis. */
export async function connectRedis(redis: Redis, url: string, timeoutMs = 3000): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.status === 'wait' ? redis.connect() : new Promise<void>((resolve) => redis.once('ready', () => resolve())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new RedisUnavailableError(url, error);
  } finally {
    clearTimeout(timer);
  }
}

export type { Redis };
