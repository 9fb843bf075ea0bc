import type { LlamaCppProviderConfig, SwitchboardConfig } from '@switchboard/contracts';
import path from 'node:path';
import type { ModelManifest } from './model-manifest.js';

/** The generated stand-in model's file: tiny, random weights, but a real GGUF that node-llama-cpp runs. */
export const TEST_MODEL_FILE = 'switchboard-test-model.gguf';
/** The only name the generated test model is served under (`<provider>/test-model`). */
export const TEST_MODEL_NAME = 'test-model';

/** Where the platform keeps its generated test model. */
export function testModelPath(config: Pick<SwitchboardConfig, 'data_dir'>): string {
  return path.join(config.data_dir, 'models', TEST_MODEL_FILE);
}

/** The first enabled llama-cpp provider: the one `models select` edits and the catalogue's models belong to. */
export function firstLlamaProvider(config: Pick<SwitchboardConfig, 'providers'>): LlamaCppProviderConfig | undefined {
  return config.providers.find((p): p is LlamaCppProviderConfig => p.type === 'llama-cpp' && p.enabled);
}

/** The default local model: the first model of the first llama-cpp provider, as `auto` picks it. */
export function defaultLocalModel(config: Pick<SwitchboardConfig, 'providers'>): { provider: string; model: LlamaCppProviderConfig['models'][number] } | undefined {
  const provider = firstLlamaProvider(config);
  const model = provider?.models[0];
  return provider && model ? { provider: provider.name, model } : undefined;
}

/** Whether `provider/model` is the generated test model (by the file it points at). */
export function isTestModel(config: Pick<SwitchboardConfig, 'providers'>, provider: string, model: string): boolean {
  const p = config.providers.find((x) => x.name === provider);
  if (p?.type !== 'llama-cpp') return false;
  const entry = p.models.find((m) => m.name === model);
  return entry !== undefined && path.basename(entry.file) === TEST_MODEL_FILE;
}

/**
 * The config the platform serves with: the first llama-cpp provider gets, after its configured models, every
 * manifest model it does not have yet (by file), pointing into `models.dir`, and the generated test model as
 * `test-model`. So `local/<manifest name>` is a model id before its file exists: asked for, it answers with an
 * error saying how to download it, and once a download lands the next call loads it, with no restart. A
 * configured model never falls back to the test model. The returned config is a copy.
 */
export function withServedLocalModels(config: SwitchboardConfig, manifest: ModelManifest | null): SwitchboardConfig {
  const target = firstLlamaProvider(config);
  if (!target) return config;
  const models = [...target.models];
  const params = models[0]?.params ?? { n_ctx: 4096, threads: 1, gpu_layers: 0 as const, parallel: 1 };
  const names = new Set(models.map((m) => m.name));
  const files = new Set(models.map((m) => path.resolve(m.file)));
  for (const entry of manifest?.models ?? []) {
    const file = path.resolve(config.models.dir, entry.file);
    if (names.has(entry.name) || files.has(file)) continue;
    models.push({ name: entry.name, file, params: { ...params } });
    names.add(entry.name);
  }
  if (config.models.test_model && !names.has(TEST_MODEL_NAME)) {
    models.push({ name: TEST_MODEL_NAME, file: testModelPath(config), params: { ...params } });
  }
  return { ...config, providers: config.providers.map((p) => (p === target ? { ...target, models } : p)) };
}

/**
 * Moves `modelName` to the front of the first llama-cpp provider's models (what `models select` does to the
 * file), for processes that learn of a selection while they run. Undefined when that provider lacks the model.
 */
export function withDefaultLocalModel(config: SwitchboardConfig, modelName: string): SwitchboardConfig | undefined {
  const target = firstLlamaProvider(config);
  const chosen = target?.models.find((m) => m.name === modelName);
  if (!target || !chosen) return undefined;
  const models = [chosen, ...target.models.filter((m) => m !== chosen)];
  return { ...config, providers: config.providers.map((p) => (p === target ? { ...target, models } : p)) };
}
