import type { ChatRunJob, QueueConfig } from '@switchboard/contracts';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobCatalog } from './job-catalog.js';
import type { RedisKeys } from './keys.js';

/** The producer side of the `runs` queue, as the gateway uses it: one Redis round trip per run. */
export class RunQueue {
  readonly queue: Queue<ChatRunJob>;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    private readonly config: QueueConfig,
  ) {
    this.queue = new Queue<ChatRunJob>(jobCatalog['run.chat'].queue, {
      connection: redis,
      prefix: keys.bullPrefix(),
      skipWaitingForReady: true,
    });
  }

  /** The job id is the run id, so a run is enqueued at most once even if a client retries the request. */
  async enqueueChat(job: ChatRunJob): Promise<void> {
    await this.queue.add('run.chat', job, {
      jobId: job.runId,
      attempts: this.config.attempts,
      backoff: { type: 'exponential', delay: jobCatalog['run.chat'].backoffMs },
      removeOnComplete: { age: this.config.events_ttl_seconds, count: 10000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
