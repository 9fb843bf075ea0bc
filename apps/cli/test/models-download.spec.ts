import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { modelFilesOnDisk, readModelManifest } from '@switchboard/providers';
import { startFakeModelHub, writeTestModel } from '@switchboard/testing';
import { downloadModelCommand } from '../src/models-download.command.js';

function output(): PassThrough & { text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return Object.assign(stream, { text: () => text });
}

describe('switchboard models download (from a model hub on loopback)', () => {
  let root: string;
  let hub: Awaited<ReturnType<typeof startFakeModelHub>>;
  let gguf: Buffer;
  let sha: string;
  let manifestText: string;
  const manifestPath = (): string => path.join(root, 'models/manifest.json');
  const ctx = (out = output()) => ({ cwd: root, env: {}, out });

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sb-download-cli-'));
    await mkdir(path.join(root, 'models'));
    await mkdir(path.join(root, 'config'));
    await writeFile(path.join(root, 'config/switchboard.yaml'), 'log_level: warn\n');
    const info = await writeTestModel(path.join(root, 'served.gguf'));
    gguf = await readFile(info.path);
    sha = createHash('sha256').update(gguf).digest('hex');
    hub = await startFakeModelHub(gguf);
    const entry = (name: string, route: string, sha256: string | null) => ({
      name,
      description: 'the generated test model',
      file: `${name}.gguf`,
      url: `${hub.url}/${route}/resolve/main/${name}.gguf`,
      quantization: 'F32',
      size_bytes: gguf.length,
      ram_bytes: gguf.length * 4,
      tools: true,
      sha256,
    });
    manifestText = `${JSON.stringify(
      {
        version: 1,
        default: 'tiny',
        models: [
          entry('tiny', 'ok', null),
          entry('tiny-pinned', 'ok', sha),
          entry('tiny-flaky', 'drop', sha),
          entry('tiny-corrupt', 'corrupt', sha),
          entry('tiny-missing', 'missing', null),
        ],
      },
      null,
      2,
    )}\n`;
  });
  beforeEach(async () => {
    await writeFile(manifestPath(), manifestText);
  });
  afterAll(async () => {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  });

  it('downloads a manifest model into models/, prints plain progress lines off a TTY and records its sha256', async () => {
    const out = output();
    const result = await downloadModelCommand('tiny', ctx(out), { progressIntervalMs: 1 });
    expect(result).toMatchObject({ status: 'downloaded', bytes: gguf.length, sha256: sha, recordedSha256: true });
    expect((await readFile(path.join(root, 'models/tiny.gguf'))).equals(gguf)).toBe(true);
    expect(out.text()).toContain(`Downloading tiny (~${(gguf.length / 1e6).toFixed(1)} MB) from ${hub.url}/ok/resolve/main/tiny.gguf`);
    expect(out.text()).toMatch(new RegExp(`^tiny: ${(gguf.length / 1e6).toFixed(1)} / ${(gguf.length / 1e6).toFixed(1)} MB \\(100%\\)`, 'm'));
    expect(out.text()).toContain('switchboard models select tiny');

    const manifest = await readModelManifest(manifestPath());
    expect(manifest.models.find((m) => m.name === 'tiny')?.sha256).toBe(sha);
    // Only that one value changed in the manifest.
    expect(await readFile(manifestPath(), 'utf8')).toBe(manifestText.replace('"sha256": null', `"sha256": "${sha}"`));
    const onDisk = await modelFilesOnDisk(manifest, path.join(root, 'models'));
    expect(onDisk.find((m) => m.model.name === 'tiny')).toMatchObject({ present: true, bytesOnDisk: gguf.length, partialBytes: 0 });

    const again = output();
    expect(await downloadModelCommand('tiny', ctx(again))).toMatchObject({ status: 'present' });
    expect(again.text()).toContain('models/tiny.gguf is already there');
  });

  it('resumes when the connection drops halfway, and verifies the pinned sha256', async () => {
    const result = await downloadModelCommand('tiny-flaky', ctx(), { retryDelayMs: 5 });
    expect(result).toMatchObject({ status: 'downloaded', sha256: sha, retries: 1, recordedSha256: false });
    const last = hub.ranges.at(-1);
    expect(last).toMatch(/^bytes=\d+-$/);
    expect(Number(last!.slice(6, -1))).toBeGreaterThan(0);
    expect((await readFile(path.join(root, 'models/tiny-flaky.gguf'))).equals(gguf)).toBe(true);
  });

  it('continues a .part left by an earlier run, and says so', async () => {
    await writeFile(path.join(root, 'models/tiny-pinned.gguf.part'), gguf.subarray(0, 100_000));
    const out = output();
    const result = await downloadModelCommand('tiny-pinned', ctx(out));
    expect(result).toMatchObject({ status: 'downloaded', resumedFromBytes: 100_000, sha256: sha });
    expect(hub.ranges.at(-1)).toBe('bytes=100000-');
    expect(out.text()).toContain('resuming after the 0.1 MB already in models/tiny-pinned.gguf.part');
  });

  it('--force downloads a present file again', async () => {
    await writeFile(path.join(root, 'models/tiny-pinned.gguf'), 'stale');
    const result = await downloadModelCommand('tiny-pinned', ctx(), { force: true });
    expect(result.status).toBe('downloaded');
    expect((await readFile(path.join(root, 'models/tiny-pinned.gguf'))).equals(gguf)).toBe(true);
  });

  it('a checksum mismatch fails, deletes the partial file and leaves no model behind', async () => {
    await expect(downloadModelCommand('tiny-corrupt', ctx())).rejects.toThrow(`checksum mismatch for ${hub.url}/corrupt/resolve/main/tiny-corrupt.gguf`);
    expect(existsSync(path.join(root, 'models/tiny-corrupt.gguf.part'))).toBe(false);
    expect(existsSync(path.join(root, 'models/tiny-corrupt.gguf'))).toBe(false);
    expect(await readFile(manifestPath(), 'utf8')).toBe(manifestText);
  });

  it('an HTTP error names the status and the URL', async () => {
    await expect(downloadModelCommand('tiny-missing', ctx())).rejects.toThrow(`${hub.url}/missing/resolve/main/tiny-missing.gguf answered HTTP 404`);
  });

  it('without network: names the URL that failed and says the file can be copied into models/ by hand', async () => {
    const manifest = JSON.parse(manifestText) as { models: { url: string }[] };
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x/resolve/main/tiny.gguf`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    manifest.models[0]!.url = deadUrl;
    await writeFile(manifestPath(), JSON.stringify(manifest));
    await rm(path.join(root, 'models/tiny.gguf'), { force: true });
    const error = (await downloadModelCommand('tiny', ctx()).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`cannot reach ${deadUrl}`);
    expect(error.message).toContain(`copy it to ${path.join(root, 'models/tiny.gguf')} by hand`);
  });

  it('refuses to start when less than models.min_free_disk_mb would stay free, writing nothing', async () => {
    const configFile = path.join(root, 'config/switchboard.yaml');
    await writeFile(configFile, 'log_level: warn\nmodels: { min_free_disk_mb: 1000000000 }\n');
    try {
      await rm(path.join(root, 'models/tiny.gguf'), { force: true });
      await expect(downloadModelCommand('tiny', ctx())).rejects.toThrow(/not enough free disk space for tiny\.gguf: .* must stay free \(models\.min_free_disk_mb\)/);
      expect(existsSync(path.join(root, 'models/tiny.gguf.part'))).toBe(false);
    } finally {
      await writeFile(configFile, 'log_level: warn\n');
    }
  });

  it('refuses an unknown name, listing the known ones', async () => {
    await expect(downloadModelCommand('llama-70b', ctx())).rejects.toThrow(
      'unknown model "llama-70b"; known models: tiny, tiny-pinned, tiny-flaky, tiny-corrupt, tiny-missing',
    );
  });
});
