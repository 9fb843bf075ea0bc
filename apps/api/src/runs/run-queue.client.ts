import { type ChatRunJob, type SwitchboardConfig } from '@switchboard/contracts';
import { type Redis, redisKeys, RunQueue } from '@switchboard/queue';
import { openQueueConnection, unavailableOnError } from '../common/queue-connection.js';

/**
 * The API's handle on the `runs` queue, to cancel runs no worker has taken yet (they have no Run row). Its
 * Redis connection opens on first use, so an API that never cancels a queued run holds none; while Redis is
 * away its calls fail at once with a 503 instead of waiting.
 */
export class RunQueueClient {
  private opening: Promise<{ redis: Redis; queue: RunQueue }> | null = null;

  constructor(private readonly config: SwitchboardConfig) {}

  /** The run's job payload while Redis keeps it (queued, or run by a gateway itself). */
  async find(runId: string): Promise<ChatRunJob | null> {
    const { queue } = await this.open();
    return unavailableOnError(queue.findJob(runId));
  }

  /** See RunQueue.cancelQueued: 'cancelled', or the state that prevented it ('active', 'completed', ...). */
  async cancel(runId: string, message: string): Promise<string> {
    const { queue } = await this.open();
    const job = await unavailableOnError(queue.getRun(runId));
    if (!job) return 'unknown';
    return unavailableOnError(queue.cancelQueued(job, message));
  }

  async close(): Promise<void> {
    const opened = await this.opening?.catch(() => null);
    if (!opened) return;
    await opened.queue.close().catch(() => undefined);
    opened.redis.disconnect();
  }

  private open(): Promise<{ redis: Redis; queue: RunQueue }> {
    this.opening ??= (async () => {
      const redis = await openQueueConnection(this.config, 'api-queue');
      return { redis, queue: new RunQueue(redis, redisKeys(this.config.redis.prefix), this.config.queue) };
    })();
    this.opening.catch(() => {
      this.opening = null;
    });
    return unavailableOnError(this.opening);
  }
}
