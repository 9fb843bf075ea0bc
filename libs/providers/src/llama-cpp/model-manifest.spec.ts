import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { modelFilesOnDisk, readModelManifest } from './model-manifest.js';

const repoManifest = path.resolve(import.meta.dirname, '../../../../models/manifest.json');

describe('model manifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sb-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the repository manifest is valid and lists the popular instruct models of the seed sizes', async () => {
    const manifest = await readModelManifest(repoManifest);
    const names = manifest.models.map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'qwen2.5-0.5b-instruct', 'qwen2.5-1.5b-instruct', 'qwen2.5-3b-instruct', 'qwen2.5-7b-instruct',
        'llama-3.2-1b-instruct', 'llama-3.2-3b-instruct', 'llama-3.1-8b-instruct',
        'mistral-7b-instruct-v0.3', 'gemma-2-2b-it', 'gemma-2-9b-it', 'phi-3.5-mini-instruct',
      ]),
    );
    expect(names).toContain(manifest.default);
    // A checksum is only worth pinning together with the revision it belongs to.
    for (const m of manifest.models.filter((x) => x.sha256 !== null)) expect(m.url).toMatch(/\/resolve\/[0-9a-f]{40}\//);
    for (const m of manifest.models) {
      expect(m.url).toMatch(/^https:\/\/huggingface\.co\/.+\/resolve\/(main|[0-9a-f]{40})\/.+\.gguf$/);
      expect(m.url.endsWith(`/${m.file}`)).toBe(true);
      expect(m.ram_bytes).toBeGreaterThan(m.size_bytes);
    }
  });

  it('reports which files are present, missing or partly downloaded', async () => {
    const manifest = await readModelManifest(repoManifest);
    const [first, second] = manifest.models;
    await writeFile(path.join(dir, first?.file ?? 'x'), 'GGUF');
    await writeFile(path.join(dir, `${second?.file ?? 'y'}.part`), '12345');
    const status = await modelFilesOnDisk(manifest, dir);
    expect(status[0]).toMatchObject({ present: true, bytesOnDisk: 4, partialBytes: 0, path: path.join(dir, first?.file ?? '') });
    expect(status[1]).toMatchObject({ present: false, bytesOnDisk: 0, partialBytes: 5 });
    expect(status.slice(2).every((s) => !s.present)).toBe(true);
  });

  it('names the file and the bad keys of a broken manifest', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ version: 1, models: [{ name: 'x', file: 'dir/x.bin', url: 'nope' }] }));
    await expect(readModelManifest(bad)).rejects.toThrow(/bad\.json is not a valid model manifest: models\.0\.file: .*models\.0\.url/);
    await writeFile(bad, '{');
    await expect(readModelManifest(bad)).rejects.toThrow(/bad\.json is not valid JSON/);
  });
});
