/** What deleteKeysUnder needs of a Redis client (ioredis fits), so this library does not depend on one. */
export interface RedisKeyStore {
  keys(pattern: string): Promise<string[]>;
  del(...keys: string[]): Promise<number>;
}

/** Deletes every key under a test's Redis prefix (`<prefix>:*`): what a spec leaves behind on a shared Redis. */
export async function deleteKeysUnder(redis: RedisKeyStore, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
}
