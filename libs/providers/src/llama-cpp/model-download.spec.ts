import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { downloadFile, ModelDownloadError, type DownloadProgress } from './model-download.js';

/** How the loopback server answers one request; `n` counts requests from 1. */
interface Behaviour {
  /** Send only this many bytes of the body, then destroy the socket (on the requests `dropOn` picks). */
  dropAfter?: number;
  dropOn?: (n: number) => boolean;
  /** Send this many bytes, then keep the connection open and silent. */
  stallAfter?: number;
  /** Answer every request with the whole file and 200, as servers without Range support do. */
  ignoreRange?: boolean;
  /** Serve these bytes instead of the file (same length: a corrupted mirror). */
  body?: Buffer;
  status?: number;
}

interface FileServer {
  url: string;
  ranges: (string | undefined)[];
  close(): Promise<void>;
}

/** A real HTTP server on loopback serving `file` with Range support and scripted misbehaviour. */
async function serveFile(file: Buffer, behaviour: Behaviour = {}): Promise<FileServer> {
  const ranges: (string | undefined)[] = [];
  const open = new Set<ServerResponse>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    ranges.push(req.headers.range);
    const n = ranges.length;
    if (behaviour.status) {
      res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end('no');
      return;
    }
    const served = behaviour.body ?? file;
    const m = behaviour.ignoreRange ? null : req.headers.range?.match(/^bytes=(\d+)-$/);
    const start = m ? Number(m[1]) : 0;
    if (start >= served.length && m) {
      res.writeHead(416, { 'content-range': `bytes */${served.length}` }).end();
      return;
    }
    const part = served.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(part.length),
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${served.length - 1}/${served.length}` } : {}),
    });
    if (behaviour.dropAfter !== undefined && (behaviour.dropOn?.(n) ?? true)) {
      res.write(part.subarray(0, behaviour.dropAfter), () => res.destroy());
    } else if (behaviour.stallAfter !== undefined) {
      open.add(res);
      res.write(part.subarray(0, behaviour.stallAfter));
    } else {
      res.end(part);
    }
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/models/test.gguf`,
    ranges,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('downloadFile over HTTP on loopback', () => {
  const file = randomBytes(3 * 1024 * 1024 + 123);
  const fileSha = sha(file);
  let dir: string;
  let server: FileServer | undefined;
  let n = 0;
  const destination = (): string => {
    const folder = path.join(dir, `models-${++n}`);
    mkdirSync(folder);
    return path.join(folder, 'test.gguf');
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sb-download-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads through .part, reports progress, verifies size and sha256, then renames', async () => {
    server = await serveFile(file);
    const dest = destination();
    const progress: DownloadProgress[] = [];
    const result = await downloadFile({ url: server.url, destination: dest, expectedSize: file.length, sha256: fileSha, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ path: dest, bytes: file.length, sha256: fileSha, resumedFromBytes: 0, retries: 0 });
    expect((await readFile(dest)).equals(file)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(progress.at(-1)).toEqual({ receivedBytes: file.length, totalBytes: file.length, resumedFromBytes: 0 });
    expect(progress.length).toBeGreaterThan(2);
    expect(server.ranges).toEqual([undefined]);
  });

  it('resumes an existing .part with a Range request and hashes the kept prefix too', async () => {
    server = await serveFile(file);
    const dest = destination();
    const kept = 1_000_000;
    await writeFile(`${dest}.part`, file.subarray(0, kept));
    const result = await downloadFile({ url: server.url, destination: dest, expectedSize: file.length, sha256: fileSha });
    expect(server.ranges).toEqual([`bytes=${kept}-`]);
    expect(result).toMatchObject({ bytes: file.length, sha256: fileSha, resumedFromBytes: kept });
    expect((await readFile(dest)).equals(file)).toBe(true);
  });

  it('restarts cleanly when the server ignores the Range and answers 200', async () => {
    server = await serveFile(file, { ignoreRange: true });
    const dest = destination();
    // Bytes that are not the file's prefix: appending the 200 body to them would break the checksum.
    await writeFile(`${dest}.part`, randomBytes(500_000));
    const result = await downloadFile({ url: server.url, destination: dest, sha256: fileSha });
    expect(server.ranges).toEqual(['bytes=500000-']);
    expect(result).toMatchObject({ bytes: file.length, resumedFromBytes: 0 });
    expect((await readFile(dest)).equals(file)).toBe(true);
  });

  it('a .part that already holds the whole file (416) is verified and renamed', async () => {
    server = await serveFile(file);
    const dest = destination();
    await writeFile(`${dest}.part`, file);
    const result = await downloadFile({ url: server.url, destination: dest, sha256: fileSha });
    expect(server.ranges).toEqual([`bytes=${file.length}-`]);
    expect(result).toMatchObject({ bytes: file.length, sha256: fileSha, resumedFromBytes: file.length });
    expect(existsSync(dest)).toBe(true);
  });

  it('a connection dropped halfway keeps the .part, and the next call resumes it', async () => {
    const half = Math.floor(file.length / 2);
    server = await serveFile(file, { dropAfter: half, dropOn: (i) => i === 1 });
    const dest = destination();
    const error = await downloadFile({ url: server.url, destination: dest, sha256: fileSha, retries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelDownloadError);
    expect((error as ModelDownloadError).reason).toBe('interrupted');
    expect((error as Error).message).toContain('run it again to resume');
    expect(existsSync(dest)).toBe(false);
    const partial = (await stat(`${dest}.part`)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThanOrEqual(half);

    const result = await downloadFile({ url: server.url, destination: dest, sha256: fileSha, retries: 0 });
    expect(server.ranges).toEqual([undefined, `bytes=${partial}-`]);
    expect(result.resumedFromBytes).toBe(partial);
    expect((await readFile(dest)).equals(file)).toBe(true);
  });

  it('reconnects by itself after drops, resuming where each attempt stopped', async () => {
    server = await serveFile(file, { dropAfter: 1_000_000, dropOn: (i) => i <= 2 });
    const dest = destination();
    const result = await downloadFile({ url: server.url, destination: dest, sha256: fileSha, retryDelayMs: 5 });
    expect(result.retries).toBe(2);
    expect(server.ranges[0]).toBeUndefined();
    expect(server.ranges.slice(1).every((r) => /^bytes=[1-9]\d*-$/.test(r ?? ''))).toBe(true);
    expect((await readFile(dest)).equals(file)).toBe(true);
  });

  it('a connection that goes silent counts as dropped after idleTimeoutMs', async () => {
    server = await serveFile(file, { stallAfter: 100_000 });
    const dest = destination();
    const error = await downloadFile({ url: server.url, destination: dest, retries: 1, retryDelayMs: 5, idleTimeoutMs: 200 }).catch((e: unknown) => e);
    expect((error as ModelDownloadError).reason).toBe('interrupted');
    expect((error as Error).message).toContain('no data for 200 ms');
    expect(server.ranges).toEqual([undefined, 'bytes=100000-']);
    expect((await stat(`${dest}.part`)).size).toBe(200_000);
  });

  it('a wrong body fails the checksum, deletes the .part and never creates the file', async () => {
    const wrong = Buffer.from(file);
    wrong[wrong.length - 1]! ^= 0xff;
    server = await serveFile(file, { body: wrong });
    const dest = destination();
    const error = await downloadFile({ url: server.url, destination: dest, expectedSize: file.length, sha256: fileSha }).catch((e: unknown) => e);
    expect((error as ModelDownloadError).reason).toBe('checksum');
    expect((error as Error).message).toMatch(new RegExp(`checksum mismatch for ${server.url}: got sha256 ${sha(wrong)}, expected ${fileSha}`));
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses a file of another size before downloading it', async () => {
    server = await serveFile(file);
    const dest = destination();
    const error = await downloadFile({ url: server.url, destination: dest, expectedSize: file.length + 5_000_000, sizeTolerance: 1_000_000 }).catch((e: unknown) => e);
    expect((error as ModelDownloadError).reason).toBe('size');
    expect((error as Error).message).toContain(`serves ${file.length} bytes`);
    expect(existsSync(`${dest}.part`)).toBe(false);
    // Within the tolerance (published sizes are rounded) it downloads.
    await downloadFile({ url: server.url, destination: dest, expectedSize: file.length + 400_000, sizeTolerance: 1_000_000 });
    expect(existsSync(dest)).toBe(true);
  });

  it('an HTTP error names the status and the URL', async () => {
    server = await serveFile(file, { status: 404 });
    const dest = destination();
    const error = await downloadFile({ url: server.url, destination: dest }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'http', status: 404, url: server.url });
    expect((error as Error).message).toContain(`${server.url} answered HTTP 404`);
    expect(existsSync(dest)).toBe(false);
  });

  it('no server: the message names the URL and says the file can be copied by hand', async () => {
    const closed = await serveFile(file);
    const url = closed.url;
    await closed.close();
    const dest = destination();
    const error = await downloadFile({ url, destination: dest, retryDelayMs: 5 }).catch((e: unknown) => e);
    expect((error as ModelDownloadError).reason).toBe('network');
    expect((error as Error).message).toContain(`cannot reach ${url} (`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain(`copy it to ${dest} by hand`);
  });

  it('an abort stops the download and keeps the .part for a resume', async () => {
    server = await serveFile(file, { stallAfter: 300_000 });
    const dest = destination();
    const controller = new AbortController();
    const error = await downloadFile({
      url: server.url,
      destination: dest,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.receivedBytes >= 300_000) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((error as ModelDownloadError).reason).toBe('aborted');
    expect((await stat(`${dest}.part`)).size).toBe(300_000);
    expect(server.ranges).toHaveLength(1);
  });
});
