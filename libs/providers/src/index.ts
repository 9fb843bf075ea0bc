export * from './language-model.js';
export {
  createOpenAICompatibleModel,
  OpenAICompatibleLanguageModel,
  type OpenAICompatibleDeps,
} from './openai-compatible/openai-compatible.model.js';
export { presets as openAICompatiblePresets, placeholderApiKey, providerTraits, resolveEndpoint } from './openai-compatible/presets.js';
export * from './llama-cpp/index.js';
export { createNodeHttpFetch } from './http/node-http-fetch.js';
export {
  downloadFile,
  ModelDownloadError,
  type DownloadFileOptions,
  type DownloadProgress,
  type DownloadResult,
  type ModelDownloadFailure,
} from './llama-cpp/model-download.js';
