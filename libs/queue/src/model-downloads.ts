import { MODELS_ROOM, type ModelDownloadDto, type ModelDownloadJob, type ModelDownloadNotificationType } from '@switchboard/contracts';
import { type JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { publishCancel } from './cancel-signals.js';
import { jobCatalog } from './job-catalog.js';
import type { RedisKeys } from './keys.js';
import { emitToRooms, type NotifierLogger } from './run-notifier.js';

const NOT_TAKEN = new Set<JobState | 'unknown'>(['waiting', 'waiting-children', 'delayed', 'prioritized']);
const UNFINISHED = new Set<ModelDownloadDto['status']>(['queued', 'downloading']);

export const CANCELLED_DOWNLOAD = 'cancelled';

/**
 * Downloads of manifest models as `model.download` jobs, and their state: one Redis hash (model name -> the
 * ModelDownloadDto as JSON) that the worker running a download keeps current and every API instance reads.
 * A model has at most one download at a time (its job id is derived from its name).
 */
export class ModelDownloads {
  readonly queue: Queue<ModelDownloadJob>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.queue = new Queue<ModelDownloadJob>(jobCatalog['model.download'].queue, {
      connection: redis,
      prefix: keys.bullPrefix(),
      skipWaitingForReady: true,
    });
  }

  static jobId(model: string): string {
    return `download-${model}`;
  }

  /**
   * The model's download as stored; one stored as queued or running whose job is gone (Redis lost it, or BullMQ
   * failed it without the worker's say) reads as failed, so nobody waits for it.
   */
  async get(model: string): Promise<ModelDownloadDto | null> {
    const raw = await this.redis.hget(this.keys.modelDownloads(), model);
    if (!raw) return null;
    const state = JSON.parse(raw) as ModelDownloadDto;
    if (UNFINISHED.has(state.status) && !(await this.queue.getJob(state.job_id))) {
      return { ...state, status: 'failed', failure: 'interrupted', error: 'the download job is gone (a worker stopped or Redis lost it); start it again to resume' };
    }
    return state;
  }

  /** Every stored download by model name (a finished one stays until the model is downloaded again). */
  async list(): Promise<Map<string, ModelDownloadDto>> {
    const all = await this.redis.hgetall(this.keys.modelDownloads());
    return new Map(Object.entries(all).map(([name, raw]) => [name, JSON.parse(raw) as ModelDownloadDto]));
  }

  /**
   * Queues a download, or returns the one already queued or running for the model (`created: false`).
   * `partialBytes` is what an earlier attempt left to resume from.
   */
  async start(job: ModelDownloadJob, totalBytes: number | null, partialBytes: number): Promise<{ state: ModelDownloadDto; created: boolean }> {
    const current = await this.get(job.model);
    if (current && UNFINISHED.has(current.status)) return { state: current, created: false };
    const jobId = ModelDownloads.jobId(job.model);
    // A finished job of an earlier download would make BullMQ ignore the new one (same id).
    await (await this.queue.getJob(jobId))?.remove().catch(() => undefined);
    const now = new Date().toISOString();
    const state: ModelDownloadDto = {
      model: job.model,
      status: 'queued',
      job_id: jobId,
      received_bytes: partialBytes,
      total_bytes: totalBytes,
      resumed_from_bytes: partialBytes,
      failure: null,
      error: null,
      sha256: null,
      started_at: now,
      updated_at: now,
      finished_at: null,
    };
    await this.save(state);
    await this.queue.add('model.download', job, {
      jobId,
      attempts: 3,
      backoff: { type: 'exponential', delay: jobCatalog['model.download'].backoffMs },
      removeOnComplete: true,
      removeOnFail: true,
    });
    return { state, created: true };
  }

  /**
   * Cancels the model's download: a queued one is taken off the queue here (and reads `cancelled` at once); a
   * running one gets the cancel signal and its worker stops it, keeping the `.part`. Null when there is none to
   * cancel; the state as it stands otherwise.
   */
  async cancel(model: string, notifier?: ModelNotifier): Promise<ModelDownloadDto | null> {
    const state = await this.get(model);
    if (!state || !UNFINISHED.has(state.status)) return null;
    const job = await this.queue.getJob(state.job_id);
    if (job && NOT_TAKEN.has(await job.getState())) {
      const removed = await job.remove().then(
        () => true,
        () => false,
      );
      if (removed) {
        const now = new Date().toISOString();
        const cancelled: ModelDownloadDto = { ...state, status: 'cancelled', error: 'cancelled before it started', updated_at: now, finished_at: now };
        await this.save(cancelled);
        await notifier?.notify('model.download.failed', cancelled);
        return cancelled;
      }
    }
    await publishCancel(this.redis, this.keys, state.job_id, CANCELLED_DOWNLOAD);
    return state;
  }

  /** Writes the state (the worker, as the download moves). */
  async save(state: ModelDownloadDto): Promise<void> {
    await this.redis.hset(this.keys.modelDownloads(), state.model, JSON.stringify(state));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Pushes model download notifications to every socket (room `models`); best effort, never throws. */
export class ModelNotifier {
  constructor(
    private readonly redis: Pick<Redis, 'publish'>,
    private readonly keys: RedisKeys,
    private readonly logger?: NotifierLogger,
  ) {}

  async notify(type: ModelDownloadNotificationType, state: ModelDownloadDto): Promise<void> {
    try {
      await emitToRooms(this.redis, this.keys.socketIoKey(), [MODELS_ROOM], type, state);
    } catch (error) {
      this.logger?.warn({ err: error instanceof Error ? error.message : String(error), model: state.model, type }, 'model notification dropped: Redis did not take it');
    }
  }
}
