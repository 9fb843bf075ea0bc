import type { LlamaCppProviderConfig } from '@switchboard/contracts';
import { type CallOptions, type GenerateResult, type LanguageModel, ProviderError, type StreamResult } from '../language-model.js';
import type { LlamaCallSettledListener, LlamaCppModelOptions } from './llama-cpp.language-model.js';
import { llamaErrors } from './llama-errors.js';
import type * as LlamaCppEngineModule from './llama-cpp.engine.js';
import type { LlamaCppLogger, LlamaGpuMode } from './llama-runtime.js';

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
 * The llama-cpp provider: GGUF models run in this process by node-llama-cpp. Nothing of node-llama-cpp is
 * loaded until a model of the provider is first used, so a process that serves no local model (the gateway,
 * the api) runs without the package installed at all (the lean Docker image); see llama-cpp.engine.ts.
 */
export function createLlamaCppProvider(providerConfig: LlamaCppProviderConfig, options: LlamaCppProviderOptions = {}): LlamaCppProvider {
  let engine: Promise<LlamaCppProvider> | undefined;
  let loaded: LlamaCppProvider | undefined;
  const load = (): Promise<LlamaCppProvider> =>
    (engine ??= importEngine(providerConfig.name).then(({ createLlamaCppEngine }) => (loaded = createLlamaCppEngine(providerConfig, options))));
  const modelNames = providerConfig.models.map((m) => m.name);
  return {
    name: providerConfig.name,
    modelNames,
    languageModel: (modelName, modelOptions) => {
      if (!modelNames.includes(modelName)) throw llamaErrors.unknownModel(providerConfig.name, modelName, modelNames);
      return new DeferredLanguageModel(providerConfig.name, modelName, async () => (await load()).languageModel(modelName, modelOptions));
    },
    preload: async (modelName) => (await load()).preload(modelName),
    stats: () =>
      loaded?.stats() ??
      providerConfig.models.map((m) => ({ model: m.name, loaded: false, parallel: m.params.parallel, busy: 0, waiting: 0 })),
    close: async () => {
      if (engine) await (await engine.catch(() => undefined))?.close();
    },
  };
}

async function importEngine(provider: string): Promise<typeof LlamaCppEngineModule> {
  try {
    return await import('./llama-cpp.engine.js');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String((error as Error).message).includes('node-llama-cpp')) throw error;
    throw new ProviderError(
      `provider "${provider}" (llama-cpp) needs node-llama-cpp, which this installation does not have (the gateway/api ` +
        'image leaves it out): serve local models from a worker with the full image.',
      { provider, isRetryable: false, cause: error },
    );
  }
}

/** A model whose node-llama-cpp implementation is loaded on its first call. */
class DeferredLanguageModel implements LanguageModel {
  private model: Promise<LanguageModel> | undefined;

  constructor(
    readonly provider: string,
    readonly modelId: string,
    private readonly create: () => Promise<LanguageModel>,
  ) {}

  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    return (await this.resolve()).doGenerate(options);
  }

  async doStream(options: CallOptions): Promise<StreamResult> {
    return (await this.resolve()).doStream(options);
  }

  private resolve(): Promise<LanguageModel> {
    // A failed load (no binary for this platform) is not kept: the next call reports it again.
    this.model ??= this.create().catch((error: unknown) => {
      this.model = undefined;
      throw error;
    });
    return this.model;
  }
}
