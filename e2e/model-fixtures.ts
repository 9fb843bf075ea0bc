import { type FakeLocalServer, startFakeDockerModelRunner, startFakeOllama, writeTestModel } from '@switchboard/testing';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What the model specs (models, web-models) share: manifest entries that point at a fake model hub on loopback,
 * the generated GGUF, the discovered local servers, and the providers block that serves the test model beside a
 * priced fake remote model.
 */

export interface ManifestEntryFixture {
  name: string;
  description: string;
  file: string;
  url: string;
  quantization: string;
  size_bytes: number;
  ram_bytes: number;
  tools: boolean;
  sha256: string | null;
}

/** A manifest model `<name>.gguf` at `url`; its RAM is 4 x its size unless given (1e15 never fits). */
export function manifestEntry(name: string, url: string, size: number, sha256: string | null, ram = size * 4): ManifestEntryFixture {
  return { name, description: name, file: `${name}.gguf`, url, quantization: 'F32', size_bytes: size, ram_bytes: ram, tools: true, sha256 };
}

/** Writes models/manifest.json into the models folder, as `switchboard models` reads it. */
export function writeManifest(modelsDir: string, models: ManifestEntryFixture[]): void {
  writeFileSync(path.join(modelsDir, 'manifest.json'), `${JSON.stringify({ version: 1, models }, null, 2)}\n`);
}

/** The generated test model (a real GGUF that node-llama-cpp loads), written to `file`, and its sha256. */
export async function generatedModel(file: string): Promise<{ gguf: Buffer; sha256: string }> {
  await writeTestModel(file);
  const gguf = readFileSync(file);
  return { gguf, sha256: createHash('sha256').update(gguf).digest('hex') };
}

/** A fake Docker Model Runner and a fake Ollama, one model each, for the catalogue's discovery. */
export async function startDiscoveredServers(): Promise<{ dmr: FakeLocalServer; ollama: FakeLocalServer }> {
  const dmr = await startFakeDockerModelRunner([{ name: 'ai/smollm2', sizeBytes: 270_000_000, quantization: 'Q4_K_M', parameters: '361.82 M' }]);
  const ollama = await startFakeOllama([{ name: 'llama3.2:1b', sizeBytes: 1_321_098_329, quantization: 'Q8_0', parameters: '1.2B' }]);
  return { dmr, ollama };
}

/**
 * Providers for benchmarks and downloads: `local` (llama-cpp: the test model, plus `localModels`, each a YAML
 * flow mapping, written as a block list so that `select` edits only the lines that move) and `remote` (the fake upstream's `fake-model`, priced 1 and 2 per million tokens), local first for
 * `auto`, and the `helper` agent on `auto` that benchmarks recommend a model for.
 */
export function modelProvidersYaml(upstreamUrl: string, localModels: string[] = []): string {
  return `providers:
  - name: local
    type: llama-cpp
    models:${localModels.length ? localModels.map((m) => `\n      - ${m}`).join('') : ' []'}
  - name: remote
    type: openai-compatible
    base_url: ${upstreamUrl}
    models: [fake-model]
    pricing: { fake-model: { input: 1, output: 2 } }
auto_pick: { priority: [local, remote] }
rate_limit: { requests_per_minute: 100000 }
agents:
  - name: helper
    model: auto
    budgets: { sync: { max_iterations: 2, max_seconds: 30 }, background: { max_iterations: 2, max_seconds: 60 } }`;
}
