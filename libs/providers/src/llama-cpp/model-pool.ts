import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from 'node-llama-cpp';
import type { LlamaCppProviderConfig } from '@switchboard/contracts';
import { llamaErrors } from './llama-errors.js';
import type { LlamaCppLogger } from './llama-runtime.js';
import { checkMemory, formatGiB, type MemoryPlan } from './memory-estimate.js';
import { missingModelFileError } from './missing-model-file.js';
import { SequencePool } from './sequence-pool.js';

export type LlamaModelConfig = LlamaCppProviderConfig['models'][number];

/** One configured model, ready to serve: its context and the sequences runs take turns on. */
export interface LoadedModel {
  readonly config: LlamaModelConfig;
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly chatWrapper: ChatWrapper;
  readonly sequences: SequencePool<LlamaContextSequence>;
}

interface LoadedFile {
  model: LlamaModel;
  chatWrapper: ChatWrapper;
}

export interface ModelPoolOptions {
  /** Relative model `file` paths resolve against this directory. */
  modelsDir: string;
  logger: LlamaCppLogger;
  runtime: () => Promise<Llama>;
  /** Free memory to assume instead of measuring it (tests of the refusal path). */
  freeMemory?: { ram?: number; vram?: number };
}

/**
 * Loads each model lazily on first use and keeps it: a GGUF file is loaded once (models of the config that
 * point at the same file with the same gpu_layers share its weights), and each configured model gets one
 * context with `parallel` sequences. A failed load is not remembered, so fixing the cause (downloading the
 * file, freeing memory) needs no restart.
 */
export class LlamaModelPool {
  private readonly files = new Map<string, Promise<LoadedFile>>();
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private readonly ready = new Map<string, LoadedModel>();
  private closed = false;

  constructor(
    private readonly provider: LlamaCppProviderConfig,
    private readonly options: ModelPoolOptions,
  ) {}

  filePath(config: LlamaModelConfig): string {
    return path.resolve(this.options.modelsDir, config.file);
  }

  get(config: LlamaModelConfig): Promise<LoadedModel> {
    if (this.closed) return Promise.reject(llamaErrors.closed(this.provider.name));
    let loaded = this.models.get(config.name);
    if (!loaded) {
      loaded = this.load(config);
      this.models.set(config.name, loaded);
      loaded.then(
        (model) => this.ready.set(config.name, model),
        () => this.models.delete(config.name),
      );
    }
    return loaded;
  }

  /** A model that finished loading, for stats; undefined while it loads or if it never did. */
  readyModel(name: string): LoadedModel | undefined {
    return this.ready.get(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    const settled = await Promise.allSettled(this.models.values());
    const models = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const m of models) m.sequences.close(llamaErrors.closed(this.provider.name));
    await Promise.allSettled(models.map((m) => m.context.dispose()));
    const files = await Promise.allSettled(this.files.values());
    await Promise.allSettled(files.flatMap((f) => (f.status === 'fulfilled' ? [f.value.model.dispose()] : [])));
    this.models.clear();
    this.ready.clear();
    this.files.clear();
  }

  private async load(config: LlamaModelConfig): Promise<LoadedModel> {
    const providerName = this.provider.name;
    const file = this.filePath(config);
    const size = await stat(file).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (size === undefined) throw await missingModelFileError(providerName, config.name, file);

    const llama = await this.options.runtime();
    const params = config.params;
    const fileInfo = await readGgufFileInfo(file, { logWarnings: false }).catch((error: unknown) => {
      throw llamaErrors.loadFailed(providerName, config.name, error);
    });
    const totalLayers = blockCount(fileInfo.metadata) + 1;
    const gpuLayers = llama.gpu === false ? 0 : params.gpu_layers === 'max' ? totalLayers : params.gpu_layers;
    const fileKey = `${file}|${String(gpuLayers)}`;
    const weightsLoaded = this.files.has(fileKey);

    // With gpu_layers "auto" node-llama-cpp fits the offload to free VRAM itself; otherwise check first.
    if (gpuLayers !== 'auto') {
      const plan: MemoryPlan = { contextSize: params.n_ctx, sequences: params.parallel, gpuLayers, ...(params.batch ? { batchSize: params.batch } : {}) };
      const verdict = await checkMemory(llama, fileInfo, weightsLoaded ? 0 : size, plan, this.options.freeMemory);
      this.options.logger.debug(
        { provider: providerName, model: config.name, needRamBytes: verdict.need.ramBytes, freeRamBytes: verdict.freeRamBytes },
        'llama-cpp memory estimate',
      );
      if (verdict.shortOf === 'ram') {
        throw llamaErrors.notEnoughMemory(providerName, config.name, formatGiB(verdict.need.ramBytes), formatGiB(verdict.freeRamBytes), 'ram');
      }
      if (verdict.shortOf === 'vram') {
        throw llamaErrors.notEnoughMemory(providerName, config.name, formatGiB(verdict.need.vramBytes), formatGiB(verdict.freeVramBytes), 'vram');
      }
    }

    const started = performance.now();
    const loadedFile = await this.loadFile(fileKey, llama, file, gpuLayers, config.name);
    let context: LlamaContext;
    try {
      context = await loadedFile.model.createContext({
        contextSize: params.n_ctx,
        sequences: params.parallel,
        threads: params.threads,
        ...(params.batch ? { batchSize: params.batch } : {}),
        // Fail with our n_ctx rather than silently retrying with a smaller one.
        failedCreationRemedy: false,
      });
    } catch (error) {
      throw llamaErrors.loadFailed(providerName, config.name, error);
    }
    const sequences = Array.from({ length: params.parallel }, () => context.getSequence());
    this.options.logger.info(
      { provider: providerName, model: config.name, file, n_ctx: context.contextSize, parallel: params.parallel, threads: params.threads, gpuLayers: loadedFile.model.gpuLayers, ms: Math.round(performance.now() - started) },
      'llama-cpp model ready',
    );
    return { config, llama, model: loadedFile.model, context, chatWrapper: loadedFile.chatWrapper, sequences: new SequencePool(sequences) };
  }

  private loadFile(key: string, llama: Llama, file: string, gpuLayers: number | 'auto', name: string): Promise<LoadedFile> {
    let loaded = this.files.get(key);
    if (!loaded) {
      loaded = (async () => {
        try {
          const model = await llama.loadModel({ modelPath: file, gpuLayers });
          // Resolved once per file: it parses the model's Jinja chat template.
          return { model, chatWrapper: resolveChatWrapper(model) };
        } catch (error) {
          throw llamaErrors.loadFailed(this.provider.name, name, error);
        }
      })();
      this.files.set(key, loaded);
      loaded.catch(() => this.files.delete(key));
    }
    return loaded;
  }
}


function blockCount(metadata: object): number {
  const record = metadata as Record<string, unknown> & { general: { architecture: string } };
  const arch = record[record.general.architecture] as { block_count?: number } | undefined;
  return arch?.block_count ?? 0;
}
