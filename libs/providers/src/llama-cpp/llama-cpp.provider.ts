import type { LlamaCppProviderConfig } from '@switchboard/contracts';
import type { LanguageModel } from '../language-model.js';
import { LlamaCppLanguageModel, type LlamaCallSettledListener, type LlamaCppModelOptions } from './llama-cpp.language-model.js';
import { llamaErrors } from './llama-errors.js';
import { llamaRuntime, silentLogger, type LlamaCppLogger, type LlamaGpuMode } from './llama-runtime.js';
import { LlamaModelPool } from './model-pool.js';

export interface LlamaCppProviderOptions {
  /** Directory that relative model `file` paths resolve against; default: the working directory. */
  modelsDir?: string;
  logger?: LlamaCppLogger;
  /** `"auto"` uses a GPU when node-llama-cpp finds one (CUDA, Vulkan, Metal); `false` forces the CPU. */
  gpu?: LlamaGpuMode;
  /** Options every model of this provider gets unless `languageModel()` overrides them. */
  modelOptions?: LlamaCppModelOptions;
  /** Called after each call has freed its sequence: outcome, tokens and timings (metrics). */
  onCallSettled?: LlamaCallSettledListener;
  /** Free RAM/VRAM to assume instead of measuring (to test the refusal without exhausting memory). */
  assumeFreeMemory?: { ram?: number; vram?: number };
}

/** One configured model's load and queue state (for metrics and readiness). */
export interface LlamaModelStats {
  model: string;
  loaded: boolean;
  /** Sequences, i.e. runs it serves at once. */
  parallel: number;
  /** Runs generating now. */
  busy: number;
  /** Runs waiting for a sequence. */
  waiting: number;
}

export interface LlamaCppProvider {
  readonly name: string;
  /** Configured model names. */
  readonly modelNames: readonly string[];
  /** A model of this provider; loading happens on its first call. Unknown names throw a 404 ProviderError. */
  languageModel(modelName: string, options?: LlamaCppModelOptions): LanguageModel;
  /** Loads a model now (at worker start, say) instead of on its first call; rejects like a call would. */
  preload(modelName: string): Promise<void>;
  stats(): LlamaModelStats[];
  /** Frees every context and model; calls after this fail. */
  close(): Promise<void>;
}

/**
 * The llama-cpp provider: GGUF models run in this process by node-llama-cpp. Models load lazily and are
 * shared by all LanguageModel objects of the provider; each model serves `parallel` runs at once on its
 * own context sequences, and further runs wait their turn in arrival order.
 */
export function createLlamaCppProvider(providerConfig: LlamaCppProviderConfig, options: LlamaCppProviderOptions = {}): LlamaCppProvider {
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
