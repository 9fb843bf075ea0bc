import type { LlamaCppProviderConfig } from '@switchboard/contracts';
import { LlamaCppLanguageModel } from './llama-cpp.language-model.js';
import { llamaErrors } from './llama-errors.js';
import type { LlamaCppProvider, LlamaCppProviderOptions } from './llama-cpp.provider.js';
import { llamaRuntime, silentLogger } from './llama-runtime.js';
import { LlamaModelPool } from './model-pool.js';

/**
 * The llama-cpp provider's implementation, loaded by createLlamaCppProvider on first use: GGUF models run in
 * this process by node-llama-cpp. Models load lazily and are shared by all LanguageModel objects of the
 * provider; each model serves `parallel` runs at once on its own context sequences, and further runs wait
 * their turn in arrival order.
 */
export function createLlamaCppEngine(providerConfig: LlamaCppProviderConfig, options: LlamaCppProviderOptions = {}): LlamaCppProvider {
  const logger = options.logger ?? silentLogger;
  const gpu = options.gpu ?? 'auto';
  const pool = new LlamaModelPool(providerConfig, {
    modelsDir: options.modelsDir ?? process.cwd(),
    logger,
    runtime: () => llamaRuntime(gpu, logger),
    ...(options.assumeFreeMemory ? { freeMemory: options.assumeFreeMemory } : {}),
  });
  const modelConfig = (name: string): LlamaCppProviderConfig['models'][number] => {
    const config = providerConfig.models.find((m) => m.name === name);
    if (!config) throw llamaErrors.unknownModel(providerConfig.name, name, providerConfig.models.map((m) => m.name));
    return config;
  };

  return {
    name: providerConfig.name,
    modelNames: providerConfig.models.map((m) => m.name),
    languageModel: (modelName, modelOptions) =>
      new LlamaCppLanguageModel(
        providerConfig,
        modelConfig(modelName),
        pool,
        logger,
        { ...options.modelOptions, ...modelOptions },
        options.onCallSettled,
      ),
    preload: async (modelName) => {
      await pool.get(modelConfig(modelName));
    },
    stats: () =>
      providerConfig.models.map((m) => {
        const ready = pool.readyModel(m.name);
        const parallel = m.params.parallel;
        return ready
          ? { model: m.name, loaded: true, parallel, busy: parallel - ready.sequences.available, waiting: ready.sequences.waiting }
          : { model: m.name, loaded: false, parallel, busy: 0, waiting: 0 };
      }),
    close: () => pool.close(),
  };
}
