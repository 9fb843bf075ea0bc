import type { CatalogueModelDto, ModelDownloadDto, ModelSelectionDto } from '@switchboard/contracts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModelsCommandContext } from './models-catalog.js';
import { createProgressReporter } from './models-progress.reporter.js';
import { PlatformApiError, type PlatformClient } from './platform-client.js';

export interface RemoteDownloadOptions {
  force?: boolean;
  signal?: AbortSignal;
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /** How often the state is read. Default 500 ms. */
  pollMs?: number;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/**
 * `switchboard models download NAME` with a platform up: a worker downloads it (POST /api/models/:name/download)
 * and this follows its state with a progress bar until it ends; Ctrl-C (the signal) cancels the download.
 */
export async function downloadThroughPlatform(name: string, ctx: ModelsCommandContext, platform: PlatformClient, options: RemoteDownloadOptions = {}): Promise<ModelDownloadDto | null> {
  const say = (line: string): boolean => ctx.out.write(`${line}\n`);
  const path = `/api/models/${encodeURIComponent(name)}`;
  let state: ModelDownloadDto;
  try {
    state = await platform.request<ModelDownloadDto>('POST', `${path}/download`, { force: options.force ?? false });
  } catch (error) {
    if (error instanceof PlatformApiError && error.status === 409) {
      say(error.message);
      return null;
    }
    throw error;
  }
  say(`A worker of ${platform.url} is downloading ${name} (job ${state.job_id}); Ctrl-C cancels it.`);
  const reporter = createProgressReporter({ label: name, stream: options.progress ?? ctx.out });
  try {
    while (!FINISHED.has(state.status)) {
      if (options.signal?.aborted) {
        await platform.request('DELETE', `${path}/download`).catch(() => undefined);
        options.signal.throwIfAborted();
      }
      if (state.status === 'downloading') reporter.update({ receivedBytes: state.received_bytes, totalBytes: state.total_bytes ?? undefined, resumedFromBytes: state.resumed_from_bytes });
      await sleep(options.pollMs ?? 500, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
      const row = await platform.request<CatalogueModelDto>('GET', path);
      if (row.download) state = row.download;
    }
    if (state.status === 'completed') reporter.update({ receivedBytes: state.received_bytes, totalBytes: state.total_bytes ?? undefined, resumedFromBytes: state.resumed_from_bytes });
  } finally {
    reporter.done();
  }
  if (state.status === 'completed') say(`Downloaded ${name} (${state.received_bytes} bytes${state.sha256 ? `, sha256 ${state.sha256}` : ''}); it is served now. Make it the default with: switchboard models select ${name}`);
  else throw new Error(`download of ${name} ${state.status}: ${state.error ?? 'no reason given'}`);
  return state;
}

/** `switchboard models select NAME` with a platform up: the api edits its config and tells the workers. */
export async function selectThroughPlatform(name: string, ctx: ModelsCommandContext, platform: PlatformClient): Promise<ModelSelectionDto> {
  const result = await platform.request<ModelSelectionDto>('POST', `/api/models/${encodeURIComponent(name)}/select`);
  const say = (line: string): boolean => ctx.out.write(`${line}\n`);
  say(
    `${result.model_id} is ${result.change === 'unchanged' ? 'already' : 'now'} the default local model (${result.config_path})` +
      (result.applied ? '; the running workers serve it from their next run on.' : '; no worker is running to tell, it applies when one starts.'),
  );
  for (const note of result.notes) say(`Note: ${note}`);
  return result;
}
