import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type SwitchboardConfig } from '@switchboard/contracts';
import { jobCatalog, ModelDownloads, ModelNotifier, type Redis, redisKeys } from '@switchboard/queue';
import { Queue } from 'bullmq';
import { API_CONFIG } from '../api.tokens.js';
import { openQueueConnection, unavailableOnError } from '../common/queue-connection.js';

export interface ModelJobs {
  redis: Redis;
  downloads: ModelDownloads;
  notifier: ModelNotifier;
  benchmarks: Queue;
}

/**
 * The API's handle on the `models` and `benchmarks` queues and the download states. Its Redis connection opens
 * on first use (shared by the models and benchmarks services); while Redis is away its calls fail at once with
 * a 503 instead of waiting.
 */
@Injectable()
export class ModelJobsClient implements OnModuleDestroy {
  private opening: Promise<ModelJobs> | null = null;

  constructor(@Inject(API_CONFIG) private readonly config: SwitchboardConfig) {}

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

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
      const redis = await openQueueConnection(this.config, 'api-models');
      const keys = redisKeys(this.config.redis.prefix);
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
