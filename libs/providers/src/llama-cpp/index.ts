export {
  createLlamaCppProvider,
  type LlamaCppProvider,
  type LlamaCppProviderOptions,
  type LlamaModelStats,
} from './llama-cpp.provider.js';
export {
  LlamaCppLanguageModel,
  type LlamaCallSettled,
  type LlamaCallSettledListener,
  type LlamaCppModelOptions,
} from './llama-cpp.language-model.js';
export type { LlamaCppLogger, LlamaGpuMode } from './llama-runtime.js';
export { lowerBoundNeed, type MemoryNeed, type MemoryPlan } from './memory-estimate.js';
export {
  manifestPathIn,
  recordManifestSha256,
  modelFilesOnDisk,
  modelManifestSchema,
  readModelManifest,
  type ManifestModel,
  type ModelFileStatus,
  type ModelManifest,
} from './model-manifest.js';
export {
  defaultLocalModel,
  firstLlamaProvider,
  isTestModel,
  TEST_MODEL_FILE,
  TEST_MODEL_NAME,
  testModelPath,
  withDefaultLocalModel,
  withServedLocalModels,
} from './served-models.js';
export { missingModelFileError } from './model-pool.js';
