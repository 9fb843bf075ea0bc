import { downloadFile, recordManifestSha256, type DownloadResult } from '@switchboard/providers';
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { formatMB, loadCatalog, pickModel, type ModelsCommandContext } from './models-catalog.js';
import { createProgressReporter } from './models-progress.reporter.js';

export interface DownloadCommandOptions {
  /** Download again even if the file is there (and drop a partial download). */
  force?: boolean;
  signal?: AbortSignal;
  /** Where the bar or progress lines go; default ctx.out. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  progressIntervalMs?: number;
  retryDelayMs?: number;
}

export type DownloadOutcome = { status: 'present'; path: string } | ({ status: 'downloaded'; recordedSha256: boolean } & DownloadResult);

/**
 * `switchboard models download NAME`: fetches a manifest model into models/, resuming a partial download.
 * Published sizes in the manifest are rounded, so the size check allows 1 % (at least 1 MB); the sha256, when
 * the manifest has it, is exact. A model without one gets the checksum of its first download recorded, so
 * every later download (another machine, a re-download) is checked against it.
 */
export async function downloadModelCommand(name: string, ctx: ModelsCommandContext, options: DownloadCommandOptions = {}): Promise<DownloadOutcome> {
  const catalog = await loadCatalog(ctx.cwd, ctx.env);
  const model = pickModel(catalog, name);
  const destination = path.join(catalog.modelsDir, model.file);
  const shown = path.relative(catalog.root, destination);
  const say = (line: string): boolean => ctx.out.write(`${line}\n`);

  if (existsSync(destination) && !options.force) {
    say(`${shown} is already there (${formatMB(statSync(destination).size)}); --force downloads it again.`);
    return { status: 'present', path: destination };
  }
  if (options.force) await rm(`${destination}.part`, { force: true });
  const partial = existsSync(`${destination}.part`) ? statSync(`${destination}.part`).size : 0;
  say(`Downloading ${model.name} (~${formatMB(model.size_bytes)}) from ${model.url}`);
  say(`  to ${shown}${partial > 0 ? `, resuming after the ${formatMB(partial)} already in ${shown}.part` : ''}`);

  const reporter = createProgressReporter({ label: model.name, stream: options.progress ?? ctx.out, ...(options.progressIntervalMs ? { intervalMs: options.progressIntervalMs } : {}) });
  let result: DownloadResult;
  try {
    result = await downloadFile({
      url: model.url,
      destination,
      expectedSize: model.size_bytes,
      sizeTolerance: Math.max(1_000_000, Math.round(model.size_bytes * 0.01)),
      sha256: model.sha256,
      minFreeBytes: catalog.minFreeBytes,
      onProgress: (p) => reporter.update(p),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  } finally {
    reporter.done();
  }
  say(`Saved ${shown} (${result.bytes} bytes, sha256 ${result.sha256}${model.sha256 ? ', verified' : ''}).`);
  const recordedSha256 = model.sha256 === null && (await recordManifestSha256(catalog.manifestPath, model.name, result.sha256));
  if (recordedSha256) say(`Recorded its sha256 in ${path.relative(catalog.root, catalog.manifestPath)}: later downloads are checked against it.`);
  say(`Make it the default local model with: switchboard models select ${model.name}`);
  return { status: 'downloaded', recordedSha256, ...result };
}
