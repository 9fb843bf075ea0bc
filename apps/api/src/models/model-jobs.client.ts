import { type SwitchboardConfig } from '@switchboard/contracts';
import { connectRedis, createRedis, jobCatalog, ModelDownloads, ModelNotifier, type Redis, redisKeys } from '@switchboard/queue';
import { Queue } from 'bullmq';
import { ApiError } from '../common/api-error.js';

export interface ModelJobs {
  redis: Redis;
  downloads: ModelDownloads;
  notifier: ModelNotifier;
  benchmarks: Queue;
}

/**
 * The API's handle on the `models` and `benchmarks` queues and the download states. Its Redis connection opens
 * on first use; while Redis is away its calls fail at once with a 503 instead of waiting.
 */
export class ModelJobsClient {
  private opening: Promise<ModelJobs> | null = null;

  constructor(private readonly config: SwitchboardConfig) {}

  /** Runs `fn` on the open connection; a Redis failure becomes a 503 that says so. */
  async use<T>(fn: (jobs: ModelJobs) => Promise<T>): Promise<T> {
    const jobs = await unavailableOnError(this.open());
    return unavailableOnError(fn(jobs));
  }

  async close(): Promise<void> {
    const opened = await this.opening?.catch(() => null);
    if (!opened) return;
    await Promise.all([opened.downloads.close(), opened.benchmarks.close()]).catch(() => undefined);
    opened.redis.disconnect();
  }

  private open(): Promise<ModelJobs> {
    this.opening ??= (async () => {
      const { url, prefix } = this.config.redis;
      // BullMQ defines Lua commands on its connection: no auto-pipelining (as for the runs queue).
      const redis = createRedis(url, 'api-models', { enableAutoPipelining: false });
      try {
        await connectRedis(redis, url, 1000);
      } catch (error) {
        redis.disconnect();
        throw error;
      }
      redis.options.enableOfflineQueue = false;
      const keys = redisKeys(prefix);
      return {
        redis,
        downloads: new ModelDownloads(redis, keys),
        notifier: new ModelNotifier(redis, keys),
        benchmarks: new Queue(jobCatalog['benchmark.run'].queue, { connection: redis, prefix: keys.bullPrefix(), skipWaitingForReady: true }),
      };
    })();
    this.opening.catch(() => {
      this.opening = null;
    });
    return this.opening;
  }
}

async function unavailableOnError<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(503, 'service_unavailable_error', `The queue (Redis) did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
}
