export {
  createLlamaCppProvider,
  type LlamaCppProvider,
  type LlamaCppProviderOptions,
  type LlamaModelStats,
} from './llama-cpp.provider.js';
// Types only: the modules that load node-llama-cpp are imported on first use (see createLlamaCppProvider).
export type { LlamaCallSettled, LlamaCallSettledListener, LlamaCppModelOptions } from './llama-cpp.language-model.js';
export type { LlamaCppLogger, LlamaGpuMode } from './llama-runtime.js';
export type { MemoryNeed, MemoryPlan } from './memory-estimate.js';
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
// No node-llama-cpp behind it: the router (on gateways too) explains a missing file with it.
export { missingModelFileError } from './missing-model-file.js';
