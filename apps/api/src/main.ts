/**
 * `node apps/api/dist/main.js`: the REST API on its own, for scale-out. Loads the shared config, opens the
 * database and a Redis client, listens, and shuts down cleanly on SIGTERM / SIGINT.
 */
import { loadConfig } from '@switchboard/config';
import { openDatabase } from '@switchboard/db';
import { Redis } from 'ioredis';
import { createApiLogger, startApi } from './api-app.js';

try {
  await main();
} catch (error) {
  // Config, database and port problems are written for people: print the message, not a stack.
  process.stderr.write(`switchboard api: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createApiLogger(config);
  const db = await openDatabase(config.database.url, { dataDir: config.data_dir });

  // Lazy, and without an offline queue of retried commands: /readyz should report a down Redis, not hang on it.
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  let redisDown = false;
  const redisUrl = config.redis.url.replace(/\/\/[^/@]*@/, '//***@');
  redis.on('error', (err: Error) => {
    // Once per outage: ioredis retries forever and would repeat this every attempt.
    if (!redisDown) {
      logger.warn({ err: err.message, url: redisUrl }, `Redis is unreachable at ${redisUrl}: start one (redis-server) or set REDIS_URL; /readyz answers 503 until then`);
    }
    redisDown = true;
  });
  redis.on('ready', () => {
    redisDown = false;
  });
  redis.connect().catch(() => undefined);

  const api = await startApi({ config, db, redis, logger });
  logger.info({ url: api.url, docs: `${api.url}/api/docs` }, 'api listening');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api shutting down');
    await api.close();
    redis.disconnect();
    await db.close();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop(signal));
  }
}
