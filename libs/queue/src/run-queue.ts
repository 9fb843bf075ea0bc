import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { extractTrace, injectTrace, startSpan } from '@switchboard/config';
import type { ChatRunJob, QueueConfig } from '@switchboard/contracts';
import { type Job, type JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { readInlineJob } from './inline-runs.js';
import { jobCatalog } from './job-catalog.js';
import type { RedisKeys } from './keys.js';
import { lastRunEventSeq, RunEventWriter, RunFencedError } from './run-event-writer.js';

/** Job states in which no worker holds the run yet, so it can be taken off the queue. */
const NOT_TAKEN = new Set<JobState | 'unknown'>(['waiting', 'waiting-children', 'delayed', 'prioritized']);

/** The producer side of the `runs` queue, as the gateway (and the API, to cancel) uses it. */
export class RunQueue {
  readonly queue: Queue<ChatRunJob>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: QueueConfig,
  ) {
    this.queue = new Queue<ChatRunJob>(jobCatalog['run.chat'].queue, {
      connection: redis,
      prefix: keys.bullPrefix(),
      skipWaitingForReady: true,
    });
  }

  /**
   * The job id is the run id, so a run is enqueued at most once even if a client retries the request. With
   * tracing on, the hop is a span of its own (a producer span under the active one) and the job carries it on.
   */
  async enqueueChat(job: ChatRunJob, delayMs = 0): Promise<void> {
    // A run enqueued again (handed over, taken over from a dead gateway) stays in the trace it began in.
    const span = startSpan(
      'publish runs',
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': 'runs', 'messaging.operation.type': 'send', 'switchboard.run_id': job.runId, 'switchboard.handoff': job.handoff },
      },
      job.trace ? extractTrace(job.trace) : context.active(),
    );
    const trace = injectTrace(span);
    try {
      await this.queue.add('run.chat', trace ? { ...job, trace } : job, {
        jobId: job.runId,
        delay: delayMs,
        attempts: this.config.attempts,
        backoff: { type: 'exponential', delay: jobCatalog['run.chat'].backoffMs },
        removeOnComplete: { age: this.config.events_ttl_seconds, count: 10000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    } catch (error) {
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span?.end();
    }
  }

  /**
   * The run's request while Redis keeps it (`events_ttl_seconds` after it ended): its BullMQ job, or, for a run a
   * gateway ran itself, the job it stored.
   */
  async findJob(runId: string): Promise<ChatRunJob | null> {
    const job = await this.queue.getJob(runId);
    return job ? job.data : readInlineJob(this.redis, this.keys, runId);
  }

  /** The run's job while the queue keeps it (until `events_ttl_seconds` after it completed). */
  async getRun(runId: string): Promise<Job<ChatRunJob> | undefined> {
    return (await this.queue.getJob(runId)) ?? undefined;
  }

  /**
   * Cancels a run that no worker holds (still queued, or waiting for a retry): removes its job and writes the
   * terminal `cancelled` event, so every client following the run ends at once. Returns the job's state when
   * it could not (`active`: a worker holds it, cancel it with the cancel signal; `completed`/`failed`: it ended).
   */
  async cancelQueued(job: Job<ChatRunJob>, message: string): Promise<'cancelled' | JobState | 'unknown'> {
    const state = await job.getState();
    if (!NOT_TAKEN.has(state)) return state;
    try {
      await job.remove();
    } catch {
      // Locked: a worker took it between the two calls.
      return 'active';
    }
    // A run waiting for a retry has events already: the terminal one follows them.
    const lastSeq = await lastRunEventSeq(this.redis, this.keys, job.data.runId);
    const writer = new RunEventWriter(this.redis, this.keys, job.data.runId, lastSeq, this.config.events_ttl_seconds, job.data.replyTo);
    writer.append({ t: 'error', status: 499, message, type: 'cancelled', code: 'cancelled' });
    try {
      await writer.flush();
    } catch (error) {
      // Someone appended at the same moment (the watchdog ending it): the stream has its terminal event anyway.
      if (!(error instanceof RunFencedError)) throw error;
    }
    return 'cancelled';
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
