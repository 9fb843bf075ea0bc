import { benchmarkJobSchema, chatRunJobSchema, modelDownloadJobSchema } from '@switchboard/contracts';
import { z } from 'zod';

/**
 * The job catalog: every job Switchboard runs, its queue, its payload schema and its retry policy.
 * Workers must register exactly one handler per entry (see `assertHandlers`), so a job type can never be
 * enqueued without someone to run it.
 */
export const jobCatalog = {
  'run.chat': {
    queue: 'runs',
    schema: chatRunJobSchema,
    /** Attempts come from config (queue.attempts); retries continue the partial answer, never repeat it. */
    backoffMs: 500,
  },
  'watchdog.scan': {
    queue: 'maintenance',
    /** Repeatable (a BullMQ job scheduler every worker upserts); finds stale runs and fails the lost ones. */
    schema: z.object({}),
    backoffMs: 1000,
  },
  'model.download': {
    queue: 'models',
    /**
     * One download at a time per worker (a queue of its own, concurrency 1). A retry after a dropped connection
     * or a worker crash resumes the `.part`; a checksum, size or disk failure is final.
     */
    schema: modelDownloadJobSchema,
    backoffMs: 5000,
  },
  'benchmark.run': {
    queue: 'benchmarks',
    /** One benchmark at a time per worker: measurements taken side by side would disturb each other. Not retried. */
    schema: benchmarkJobSchema,
    backoffMs: 1000,
  },
} as const satisfies Record<string, { queue: string; schema: z.ZodType; backoffMs: number }>;

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.output<(typeof jobCatalog)[N]['schema']>;
export type QueueName = (typeof jobCatalog)[JobName]['queue'];

export const queueNames: readonly QueueName[] = [...new Set(Object.values(jobCatalog).map((j) => j.queue))];

/** Throws when a handler map misses a catalog entry or names a job the catalog does not know. */
export function assertHandlers(handlers: Record<string, unknown>, queue?: QueueName): void {
  const expected = (Object.keys(jobCatalog) as JobName[]).filter((n) => !queue || jobCatalog[n].queue === queue);
  const missing = expected.filter((n) => !(n in handlers));
  const unknown = Object.keys(handlers).filter((n) => !expected.includes(n as JobName));
  if (missing.length || unknown.length) {
    throw new Error(
      `job handlers do not match the job catalog${queue ? ` for queue ${queue}` : ''}: ` +
        [missing.length ? `missing ${missing.join(', ')}` : '', unknown.length ? `unknown ${unknown.join(', ')}` : '']
          .filter(Boolean)
          .join('; '),
    );
  }
}
