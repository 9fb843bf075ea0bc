import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DownloadProgress {
  /** Bytes of the file on disk so far, the resumed prefix included. */
  receivedBytes: number;
  /** The whole file's size as the server announced it; undefined when it did not. */
  totalBytes: number | undefined;
  /** Bytes that were already in `<destination>.part` when this download (re)started. */
  resumedFromBytes: number;
}

export interface DownloadFileOptions {
  url: string;
  /** The final path; bytes go to `<destination>.part` until they verify. */
  destination: string;
  /** Size the file must have (within `sizeTolerance`): a server announcing another size is refused at once. */
  expectedSize?: number;
  /** Allowed difference from `expectedSize` in bytes, for published sizes that are rounded. Default 0. */
  sizeTolerance?: number;
  /** Hex SHA-256 the file must have; when set, a mismatch deletes the partial file. */
  sha256?: string | null;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Reconnects (with a Range request) after a connection dropped mid-file. Default 5. */
  retries?: number;
  /** Wait before the first reconnect, doubled for each further one. Default 1000. */
  retryDelayMs?: number;
  /** A connection that sends nothing for this long counts as dropped. Default 60000. */
  idleTimeoutMs?: number;
  /**
   * Bytes that must stay free on the destination's disk after the download: checked before any byte is written
   * (against the size the server announces, or `expectedSize`), failing with reason `disk`. Default 0.
   */
  minFreeBytes?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** Hex SHA-256 of the whole file (computed while it streamed, the resumed prefix included). */
  sha256: string;
  /** Bytes kept from an earlier interrupted download. */
  resumedFromBytes: number;
  /** Reconnects it took. */
  retries: number;
}

export type ModelDownloadFailure = 'http' | 'network' | 'interrupted' | 'size' | 'checksum' | 'aborted' | 'disk';

/** Why a download failed, in words a person can act on; `reason` for callers that branch on it. */
export class ModelDownloadError extends Error {
  override readonly name = 'ModelDownloadError';
  /** The HTTP status, for `reason: 'http'`. */
  readonly status: number | undefined;

  constructor(
    readonly reason: ModelDownloadFailure,
    readonly url: string,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}

/** A connection that broke after it had started: worth a reconnect. */
class Dropped extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/**
 * Downloads `url` to `destination` through `<destination>.part`. An existing `.part` is resumed with an HTTP
 * Range request (a server answering 200 instead of 206 restarts it cleanly), dropped connections reconnect and
 * resume, and the file is renamed to its final name only after its size and checksum verify. A checksum
 * mismatch deletes the `.part`, as resuming bad bytes could never verify; any other failure keeps it to resume.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadResult> {
  const partPath = `${options.destination}.part`;
  const retries = options.retries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  await mkdir(path.dirname(options.destination), { recursive: true });
  let attempt = 0;
  let restarts = 0;
  for (;;) {
    throwIfAborted(options);
    try {
      return { ...(await attemptDownload(options, partPath)), retries: attempt };
    } catch (error) {
      if (error instanceof Restart) {
        if (restarts++ < 2) continue;
        throw new ModelDownloadError('http', options.url, `${options.url} keeps answering range requests inconsistently; giving up`);
      }
      // Once bytes have flowed, a failed reconnect is the same flaky network: keep trying.
      const reconnectFailed = attempt > 0 && error instanceof ModelDownloadError && error.reason === 'network';
      if (!(error instanceof Dropped) && !reconnectFailed) throw error;
      if (attempt >= retries) {
        if (!(error instanceof Dropped)) throw error;
        const kept = (await sizeOf(partPath)) ?? 0;
        throw new ModelDownloadError(
          'interrupted',
          options.url,
          `download of ${options.url} was interrupted (${error.detail}) after ${attempt + 1} attempt(s); ` +
            `${kept} bytes are kept in ${partPath}: run it again to resume`,
          { cause: error },
        );
      }
      attempt++;
      await sleep(retryDelayMs * 2 ** (attempt - 1), undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    }
  }
}

/** The `.part` cannot be resumed (a 416 for another size, a 206 at another offset): start over from 0. */
class Restart extends Error {}

async function attemptDownload(options: DownloadFileOptions, partPath: string): Promise<Omit<DownloadResult, 'retries'>> {
  const { url } = options;
  const partial = (await sizeOf(partPath)) ?? 0;
  const idle = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  const idleMs = options.idleTimeoutMs ?? 60000;
  const idleTimer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  try {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (partial > 0) headers['range'] = `bytes=${partial}-`;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal, redirect: 'follow' });
    } catch (error) {
      throwIfAborted(options);
      if (idle.signal.aborted) throw new Dropped(String((idle.signal.reason as Error).message));
      throw unreachable(options, error, partial);
    }

    let offset: number;
    let total: number | undefined;
    if (response.status === 206 && partial > 0) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (range?.start !== partial) {
        await response.body?.cancel();
        await rm(partPath, { force: true });
        throw new Restart();
      }
      offset = partial;
      total = range.total;
    } else if (response.status === 200) {
      offset = 0;
      const length = response.headers.get('content-length');
      total = length === null ? undefined : Number(length);
    } else if (response.status === 416 && partial > 0) {
      await response.body?.cancel();
      // The .part may already hold the whole file (interrupted between the last byte and the rename).
      const total416 = parseContentRange(response.headers.get('content-range'))?.total;
      if (total416 !== partial) {
        await rm(partPath, { force: true });
        throw new Restart();
      }
      return await finish(options, partPath, partial, partial, await hashFile(partPath, partial));
    } else {
      await response.body?.cancel();
      throw new ModelDownloadError(
        'http',
        url,
        `${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}` +
          (response.status === 404 ? ' (the file is not there: check the URL in models/manifest.json)' : '') +
          `; you can also download it another way and copy it to ${options.destination} by hand`,
        { status: response.status },
      );
    }

    if (total !== undefined && options.expectedSize !== undefined && outOfTolerance(total, options)) {
      await response.body?.cancel();
      await rm(partPath, { force: true });
      throw new ModelDownloadError(
        'size',
        url,
        `${url} serves ${total} bytes, expected ${options.expectedSize}${options.sizeTolerance ? ` ± ${options.sizeTolerance}` : ''}: not the file the manifest describes`,
      );
    }

    const needed = (total ?? options.expectedSize ?? 0) - offset;
    await ensureFreeDisk(options, needed).catch(async (error: unknown) => {
      await response.body?.cancel();
      throw error;
    });

    const hash = offset > 0 ? await hashFile(partPath, offset) : createHash('sha256');
    const file = await open(partPath, offset > 0 ? 'a' : 'w');
    let received = offset;
    const report = (): void => options.onProgress?.({ receivedBytes: received, totalBytes: total, resumedFromBytes: offset });
    report();
    try {
      const reader = response.body?.getReader();
      for (;;) {
        if (!reader) break;
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throwIfAborted(options);
          throw new Dropped(idle.signal.aborted ? String((idle.signal.reason as Error).message) : causeText(error));
        }
        if (chunk.done) break;
        idleTimer.refresh();
        hash.update(chunk.value);
        try {
          await writeAll(file, chunk.value);
        } catch (error) {
          await reader.cancel().catch(() => undefined);
          throw (error as { code?: unknown }).code === 'ENOSPC' ? diskFull(options, partPath) : error;
        }
        received += chunk.value.byteLength;
        report();
      }
    } finally {
      await file.close();
    }
    if (total !== undefined && received < total) throw new Dropped(`the server closed the connection at ${received} of ${total} bytes`);
    return await finish(options, partPath, received, offset, hash);
  } finally {
    clearTimeout(idleTimer);
  }
}

/** Size and checksum checks, then the rename that makes the file visible under its final name. */
async function finish(options: DownloadFileOptions, partPath: string, bytes: number, resumedFromBytes: number, hash: Hash): Promise<Omit<DownloadResult, 'retries'>> {
  const { url } = options;
  if (options.expectedSize !== undefined && outOfTolerance(bytes, options)) {
    await rm(partPath, { force: true });
    throw new ModelDownloadError('size', url, `${url} gave ${bytes} bytes, expected ${options.expectedSize}; the partial file was deleted`);
  }
  const sha256 = hash.digest('hex');
  if (options.sha256 && sha256 !== options.sha256.toLowerCase()) {
    await rm(partPath, { force: true });
    throw new ModelDownloadError(
      'checksum',
      url,
      `checksum mismatch for ${url}: got sha256 ${sha256}, expected ${options.sha256}; the partial file was deleted (run it again to download afresh)`,
    );
  }
  await rename(partPath, options.destination);
  return { path: options.destination, bytes, sha256, resumedFromBytes };
}

/** The free-space check before the first byte: the download plus `minFreeBytes` must fit. */
async function ensureFreeDisk(options: DownloadFileOptions, neededBytes: number): Promise<void> {
  const minFree = options.minFreeBytes ?? 0;
  if (neededBytes <= 0 && minFree === 0) return;
  const fs = await statfs(path.dirname(options.destination)).catch(() => undefined);
  if (!fs) return;
  const free = fs.bavail * fs.bsize;
  if (free - Math.max(0, neededBytes) >= minFree) return;
  throw new ModelDownloadError(
    'disk',
    options.url,
    `not enough free disk space for ${path.basename(options.destination)}: it needs ${mb(neededBytes)} MB` +
      (minFree > 0 ? ` and ${mb(minFree)} MB must stay free (models.min_free_disk_mb)` : '') +
      `, ${mb(free)} MB are free in ${path.dirname(options.destination)}; free some space and run it again`,
  );
}

function diskFull(options: DownloadFileOptions, partPath: string): ModelDownloadError {
  return new ModelDownloadError(
    'disk',
    options.url,
    `the disk holding ${path.dirname(options.destination)} is full; what arrived is kept in ${partPath}: free some space and run it again to resume`,
  );
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

function outOfTolerance(bytes: number, options: DownloadFileOptions): boolean {
  return Math.abs(bytes - (options.expectedSize ?? bytes)) > (options.sizeTolerance ?? 0);
}

function throwIfAborted(options: DownloadFileOptions): void {
  if (options.signal?.aborted) {
    throw new ModelDownloadError(
      'aborted',
      options.url,
      `download of ${options.url} stopped; what arrived is kept in ${options.destination}.part: run it again to resume`,
      { cause: options.signal.reason },
    );
  }
}

function unreachable(options: DownloadFileOptions, error: unknown, partial: number): ModelDownloadError {
  return new ModelDownloadError(
    'network',
    options.url,
    `cannot reach ${options.url} (${causeText(error)}). Without network access, download the file on another machine ` +
      `and copy it to ${options.destination} by hand` +
      (partial > 0 ? `; the ${partial} bytes in ${options.destination}.part are kept for a later resume` : ''),
    { cause: error },
  );
}

/** fetch's own message is "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in its causes. */
function causeText(error: unknown): string {
  const parts: string[] = [];
  // Duck-typed: errors from node's internals may come from another realm than this module's Error.
  for (let e = error as { message?: unknown; code?: unknown; cause?: unknown } | undefined; e && typeof e.message === 'string' && parts.length < 4; e = e.cause as typeof e) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    parts.push(code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message);
  }
  const useful = parts.filter((p) => p !== 'fetch failed' && p !== 'terminated');
  return (useful.length ? useful : parts).join(': ') || String(error);
}

function parseContentRange(header: string | null): { start: number | undefined; total: number | undefined } | undefined {
  const m = header?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/);
  if (!m) return undefined;
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[2] === '*' || m[2] === undefined ? undefined : Number(m[2]) };
}

async function sizeOf(file: string): Promise<number | undefined> {
  return stat(file).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );
}

/** A hash fed with the first `bytes` of a file: the prefix a resumed download builds on. */
async function hashFile(file: string, bytes: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (bytes === 0) return hash;
  for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash;
}

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.byteLength) {
    const { bytesWritten } = await file.write(data, written, data.byteLength - written);
    written += bytesWritten;
  }
}
