import { type ModelDownloadDto, type ModelDownloadJob, modelDownloadJobSchema, type SwitchboardConfig } from '@switchboard/contracts';
import {
  downloadFile,
  type DownloadProgress,
  manifestPathIn,
  ModelDownloadError,
  readModelManifest,
  recordManifestSha256,
} from '@switchboard/providers';
import { CANCELLED_DOWNLOAD, type ModelDownloads, type ModelNotifier } from '@switchboard/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

export interface ModelDownloadDeps {
  config: SwitchboardConfig;
  downloads: ModelDownloads;
  notifier: ModelNotifier;
  logger: Logger;
  /** Downloads this process runs, by job id, so a cancel message can stop the right one. */
  active: Map<string, AbortController>;
  /** At most one progress notification (and state write) per this many ms. Default 500. */
  progressIntervalMs?: number;
}

/** Failures a later attempt may get past: the network. The others (checksum, size, disk, HTTP) are final. */
const RETRYABLE = new Set(['network', 'interrupted']);

/**
 * Runs a `model.download` job: fetches a manifest model into models.dir through `<file>.part` (resuming what
 * an earlier attempt or the CLI left), checks the free disk first and the size and checksum at the end, and
 * keeps its state and the socket.io notifications current. The worker's llama-cpp models load lazily and never
 * remember a missing file, so the next call to the model serves the new file with no restart.
 */
export async function processModelDownload(deps: ModelDownloadDeps, job: Job<ModelDownloadJob>, signal?: AbortSignal): Promise<void> {
  const parsed = modelDownloadJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid model.download payload: ${parsed.error.message}`);
  const { model: name, force } = parsed.data;
  const { config, downloads, notifier } = deps;
  const log = deps.logger.child({ jobId: job.id, model: name });
  const jobId = job.id ?? `download-${name}`;
  const now = (): string => new Date().toISOString();
  let state: ModelDownloadDto = (await downloads.get(name)) ?? {
    model: name,
    status: 'queued',
    job_id: jobId,
    received_bytes: 0,
    total_bytes: null,
    resumed_from_bytes: 0,
    failure: null,
    error: null,
    sha256: null,
    started_at: now(),
    updated_at: now(),
    finished_at: null,
  };
  const settle = async (patch: Partial<ModelDownloadDto>, type: 'model.download.completed' | 'model.download.failed'): Promise<void> => {
    state = { ...state, ...patch, updated_at: now(), finished_at: now() };
    await downloads.save(state);
    await notifier.notify(type, state);
  };

  const manifestPath = manifestPathIn(config.models.dir);
  const entry = (await readModelManifest(manifestPath).catch(() => null))?.models.find((m) => m.name === name);
  if (!entry) {
    await settle({ status: 'failed', failure: 'unknown', error: `model "${name}" is not in ${manifestPath}` }, 'model.download.failed');
    throw new UnrecoverableError(`model "${name}" is not in ${manifestPath}`);
  }
  const destination = path.join(config.models.dir, entry.file);
  if (existsSync(destination) && !force) {
    const size = statSync(destination).size;
    await settle({ status: 'completed', received_bytes: size, total_bytes: size, error: null, failure: null }, 'model.download.completed');
    return;
  }
  if (force && job.attemptsMade === 0) await rm(`${destination}.part`, { force: true });

  const controller = new AbortController();
  deps.active.set(jobId, controller);
  const onJobAbort = (): void => controller.abort(signal?.reason ?? 'worker shutting down');
  signal?.addEventListener('abort', onJobAbort, { once: true });
  const interval = deps.progressIntervalMs ?? 500;
  let lastReport = 0;
  let reporting: Promise<void> = Promise.resolve();
  const onProgress = (p: DownloadProgress): void => {
    state = { ...state, status: 'downloading', received_bytes: p.receivedBytes, total_bytes: p.totalBytes ?? entry.size_bytes, resumed_from_bytes: p.resumedFromBytes, error: null, failure: null, updated_at: now() };
    if (Date.now() - lastReport < interval) return;
    lastReport = Date.now();
    const snapshot = state;
    // One write at a time, in order: a slow Redis must not let an older state land after a newer one.
    reporting = reporting.then(async () => {
      await downloads.save(snapshot).catch((e: unknown) => log.warn({ err: e }, 'could not store download progress'));
      await notifier.notify('model.download.progress', snapshot);
    });
  };

  log.info({ url: entry.url, attempt: job.attemptsMade + 1 }, 'model download started');
  try {
    const result = await downloadFile({
      url: entry.url,
      destination,
      expectedSize: entry.size_bytes,
      sizeTolerance: Math.max(1_000_000, Math.round(entry.size_bytes * 0.01)),
      sha256: entry.sha256,
      onProgress,
      signal: controller.signal,
      minFreeBytes: config.models.min_free_disk_mb * 1_000_000,
    });
    await reporting;
    if (entry.sha256 === null) await recordManifestSha256(manifestPath, name, result.sha256).catch((e: unknown) => log.warn({ err: e }, 'could not record the sha256 in the manifest'));
    await settle({ status: 'completed', received_bytes: result.bytes, total_bytes: result.bytes, sha256: result.sha256 }, 'model.download.completed');
    log.info({ bytes: result.bytes, sha256: result.sha256, retries: result.retries }, 'model download completed');
  } catch (error) {
    await reporting;
    const message = error instanceof Error ? error.message : String(error);
    if (controller.signal.aborted && controller.signal.reason === CANCELLED_DOWNLOAD) {
      await settle({ status: 'cancelled', error: `cancelled; ${message}` }, 'model.download.failed');
      log.info('model download cancelled');
      return;
    }
    if (controller.signal.aborted) {
      // The worker is stopping: the job goes back to the queue and the next attempt resumes the .part.
      await downloads.save({ ...state, error: 'the worker stopped; the download resumes on another attempt', updated_at: now() }).catch(() => undefined);
      throw new Error('worker shut down during the download', { cause: error });
    }
    const reason = error instanceof ModelDownloadError ? error.reason : 'internal';
    const attemptsLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    if (RETRYABLE.has(reason) && attemptsLeft) {
      await downloads.save({ ...state, error: `${message} (retrying)`, failure: reason, updated_at: now() }).catch(() => undefined);
      log.warn({ err: error }, 'model download failed; it will be retried');
      throw error;
    }
    await settle({ status: 'failed', failure: reason, error: message }, 'model.download.failed');
    log.warn({ reason, err: message }, 'model download failed');
    throw new UnrecoverableError(message);
  } finally {
    deps.active.delete(jobId);
    signal?.removeEventListener('abort', onJobAbort);
  }
}
