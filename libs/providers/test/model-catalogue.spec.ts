import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CatalogueModelDto, type SwitchboardConfig, switchboardConfigSchema } from '@switchboard/contracts';
import { type FakeLocalServer, startFakeDockerModelRunner, startFakeOllama, writeTestModel } from '@switchboard/testing';
import { buildModelCatalogue, discoverDockerModelRunner, parseByteSize, readModelManifest, withServedLocalModels } from '../src/index.js';

/**
 * The catalogue against real parts: a generated GGUF on disk (its memory estimate read from the file), a
 * manifest with a model no machine can hold, and a fake Docker Model Runner and a fake Ollama over HTTP.
 */
describe('model catalogue', () => {
  let dir: string;
  let dmr: FakeLocalServer;
  let ollama: FakeLocalServer;
  let config: SwitchboardConfig;
  const GiB = 1024 ** 3;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sb-catalogue-'));
    await mkdir(path.join(dir, 'models'));
    await writeTestModel(path.join(dir, 'models/tiny.gguf'));
    await writeFile(path.join(dir, 'models/huge.gguf.part'), 'x'.repeat(1000));
    const entry = (name: string, file: string, size: number, ram: number) => ({
      name, description: `${name} model`, file, url: `https://huggingface.co/x/${name}/resolve/main/${file}`, quantization: 'Q4_K_M', size_bytes: size, ram_bytes: ram, tools: true,
    });
    await writeFile(
      path.join(dir, 'models/manifest.json'),
      JSON.stringify({ version: 1, models: [entry('tiny-instruct', 'tiny.gguf', 1_000_000, 4_000_000), entry('small', 'small.gguf', 1000, 2000), entry('huge', 'huge.gguf', 1e15, 2e15)] }),
    );
    dmr = await startFakeDockerModelRunner([{ name: 'ai/smollm2', sizeBytes: Math.round(256.35 * 1024 ** 2), quantization: 'Q4_K_M', parameters: '361.82 M' }]);
    ollama = await startFakeOllama([
      { name: 'llama3.2:1b', sizeBytes: 1_321_098_329, quantization: 'Q8_0', parameters: '1.2B' },
      { name: 'giant:405b', sizeBytes: 900 * GiB * 1024, quantization: 'Q4_0', parameters: '405B' },
    ]);
    config = switchboardConfigSchema.parse({
      data_dir: path.join(dir, 'data'),
      models: { dir: path.join(dir, 'models'), discovery: { docker_model_runner_url: dmr.url, ollama_url: ollama.url, timeout_ms: 2000 } },
      providers: [
        { name: 'local', type: 'llama-cpp', models: [{ name: 'tiny', file: path.join(dir, 'models/tiny.gguf'), params: { n_ctx: 1024, parallel: 2 } }] },
        { name: 'ollama', type: 'openai-compatible', preset: 'ollama', models: [] },
        { name: 'remote', type: 'openai-compatible', base_url: 'https://api.example.test/v1', models: ['big-model'] },
      ],
    });
  });
  afterAll(async () => {
    await dmr.close();
    await ollama.close();
    await rm(dir, { recursive: true, force: true });
  });

  const row = (rows: CatalogueModelDto[], id: string): CatalogueModelDto => {
    const found = rows.find((r) => r.id === id);
    if (!found) throw new Error(`no row ${id} in ${rows.map((r) => r.id).join(', ')}`);
    return found;
  };

  it('lists configured, manifest, test and discovered models with file state, memory and fit', async () => {
    const manifest = await readModelManifest(path.join(dir, 'models/manifest.json'));
    const c = await buildModelCatalogue(config, { manifest });
    expect(c.machine.total_ram_bytes).toBe(os.totalmem());
    expect(c.machine.free_disk_bytes).toBeGreaterThan(0);
    expect(c.local_servers).toEqual([
      { kind: 'docker-model-runner', url: dmr.url, available: true, models: 1, error: null },
      { kind: 'ollama', url: ollama.url, available: true, models: 2, error: null },
    ]);
    expect(dmr.requests).toContain('/models');
    expect(ollama.requests).toContain('/api/tags');

    // The configured model is the manifest's tiny-instruct (same file): one row, the estimate from its GGUF header.
    const tiny = row(c.data, 'local/tiny');
    expect(tiny).toMatchObject({ source: 'config', local: true, served_as: 'local/tiny', default: true, url: expect.stringContaining('tiny-instruct'), hint: null });
    expect(tiny.file).toMatchObject({ present: true, partial_bytes: 0 });
    expect(tiny.memory).toMatchObject({ basis: 'gguf', vram_bytes: null, fits: true });
    expect(tiny.memory!.ram_bytes).toBeGreaterThan(tiny.file!.bytes_on_disk);
    expect(c.data.some((r) => r.name === 'tiny-instruct')).toBe(false);

    // Manifest models the config does not point at are served as local/<name>: one that fits, one that cannot.
    const small = row(c.data, 'local/small');
    expect(small).toMatchObject({ source: 'manifest', served_as: 'local/small', memory: { ram_bytes: 2000, basis: 'manifest', fits: true } });
    expect(small.hint).toContain('`switchboard models download small`');
    const huge = row(c.data, 'local/huge');
    expect(huge.memory).toEqual({ ram_bytes: 2e15, vram_bytes: null, basis: 'manifest', fits: false });
    expect(huge.file).toMatchObject({ present: false, partial_bytes: 1000 });
    expect(huge.hint).toContain('1000 bytes are there to resume');

    expect(row(c.data, 'local/test-model')).toMatchObject({ source: 'test-model', test_model: true, served_as: 'local/test-model', file: { present: false } });

    // Docker Model Runner: no provider serves it, so the row says how to serve it. Sizes are parsed from "256.35 MiB".
    const smol = row(c.data, 'docker-model-runner:ai/smollm2');
    expect(smol).toMatchObject({ served_as: null, local: true, quantization: 'Q4_K_M', size_bytes: Math.round(256.35 * 1024 ** 2) });
    expect(smol.memory).toMatchObject({ basis: 'file-size', fits: true, ram_bytes: Math.round(Math.round(256.35 * 1024 ** 2) * 1.25) });
    expect(smol.hint).toContain('preset: dmr');
    // Ollama: the ollama preset provider serves them as ollama/<name>; the 900 TiB one cannot fit.
    expect(row(c.data, 'ollama/llama3.2:1b')).toMatchObject({ source: 'ollama', served_as: 'ollama/llama3.2:1b', provider: 'ollama', memory: { fits: true } });
    expect(row(c.data, 'ollama/giant:405b').memory?.fits).toBe(false);

    expect(row(c.data, 'remote/big-model')).toMatchObject({ source: 'config', local: false, memory: null, served_as: 'remote/big-model' });
  });

  it('the fit follows the free RAM it is given', async () => {
    const manifest = await readModelManifest(path.join(dir, 'models/manifest.json'));
    const c = await buildModelCatalogue(config, { manifest, freeRamBytes: 2100 });
    expect(row(c.data, 'local/small').memory?.fits).toBe(false); // 2000 + 10 % headroom > 2100
    expect((await buildModelCatalogue(config, { manifest, freeRamBytes: 2200 })).data.find((r) => r.id === 'local/small')?.memory?.fits).toBe(true);
  });

  it('counts an absent local server as absent, with the reason', async () => {
    const closed = await startFakeOllama([]);
    await closed.close();
    const c = await buildModelCatalogue({ ...config, models: { ...config.models, discovery: { docker_model_runner_url: undefined, ollama_url: closed.url, timeout_ms: 1000 } } }, { manifest: null });
    expect(c.local_servers).toEqual([{ kind: 'ollama', url: closed.url, available: false, models: 0, error: 'not running (connection refused)' }]);
    expect(c.data.some((r) => r.source === 'ollama')).toBe(false);
  });

  it('reads Docker Model Runner through its OpenAI-compatible list when the native one is not there', async () => {
    const proxy = await startFakeDockerModelRunner([{ name: 'ai/qwen2.5', sizeBytes: 1, quantization: 'Q4_0', parameters: '7B' }], { nativeApi: false });
    try {
      const found = await discoverDockerModelRunner(proxy.url, 1000);
      expect(found.models).toEqual([{ kind: 'docker-model-runner', name: 'ai/qwen2.5', sizeBytes: null, quantization: null, parameters: null }]);
    } finally {
      await proxy.close();
    }
  });

  it('parses the sizes local servers print', () => {
    expect(parseByteSize('256.35 MiB')).toBe(Math.round(256.35 * 1024 ** 2));
    expect(parseByteSize('4.7 GB')).toBe(4_700_000_000);
    expect(parseByteSize('1.2GiB')).toBe(Math.round(1.2 * 1024 ** 3));
    expect(parseByteSize('large')).toBeNull();
  });

  it('serves manifest models and the test model after the configured ones, never in their place', async () => {
    const manifest = await readModelManifest(path.join(dir, 'models/manifest.json'));
    const served = withServedLocalModels(config, manifest);
    const local = served.providers[0]!;
    expect(local.type === 'llama-cpp' && local.models.map((m) => [m.name, path.basename(m.file)])).toEqual([
      ['tiny', 'tiny.gguf'],
      ['small', 'small.gguf'],
      ['huge', 'huge.gguf'],
      ['test-model', 'switchboard-test-model.gguf'],
    ]);
    expect(config.providers[0]!.models).toHaveLength(1);
    const off = withServedLocalModels({ ...config, models: { ...config.models, test_model: false } }, null);
    expect(off.providers[0]!.models.map((m) => (typeof m === 'string' ? m : m.name))).toEqual(['tiny']);
  });
});
