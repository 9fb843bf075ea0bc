import { ProviderError } from '../language-model.js';

/** Errors of the llama-cpp adapter, with messages a person can act on. */
export const llamaErrors = {
  unknownModel: (provider: string, model: string, known: readonly string[]): ProviderError =>
    new ProviderError(
      `model "${model}" is not configured for provider "${provider}" (configured: ${known.length ? known.join(', ') : 'none'})`,
      { provider, status: 404, isRetryable: false },
    ),

  missingFile: (provider: string, model: string, file: string): ProviderError =>
    new ProviderError(
      `model file for "${provider}/${model}" not found at ${file}. \`switchboard models list\` shows the known models;` +
        ` get one with \`switchboard models download <name>\` and \`switchboard models select <name>\`, or write a small test` +
        ` model with \`switchboard models make-test-model\` and point the model's "file" at it.`,
      { provider, isRetryable: false },
    ),

  notEnoughMemory: (provider: string, model: string, needGiB: string, freeGiB: string, resource: 'ram' | 'vram'): ProviderError =>
    new ProviderError(
      `model "${provider}/${model}" needs ~${needGiB} GiB of ${resource === 'ram' ? 'RAM' : 'VRAM'}, ${freeGiB} GiB free; ` +
        `lower n_ctx (or parallel${resource === 'vram' ? ', or gpu_layers' : ''}) or pick a smaller model`,
      { provider, isRetryable: false },
    ),

  loadFailed: (provider: string, model: string, cause: unknown): ProviderError =>
    new ProviderError(`could not load model "${provider}/${model}": ${messageOf(cause)}`, { provider, isRetryable: false, cause }),

  badRequest: (provider: string, message: string, cause?: unknown): ProviderError =>
    new ProviderError(message, { provider, status: 400, isRetryable: false, cause }),

  aborted: (provider: string): ProviderError => new ProviderError('the call was aborted', { provider, isRetryable: false, isAbort: true }),

  timedOut: (provider: string, what: 'first-token' | 'idle' | 'total', ms: number): ProviderError =>
    new ProviderError(
      what === 'first-token'
        ? `no token within first_token_timeout_ms (${ms} ms)`
        : what === 'idle'
          ? `no token for idle_timeout_ms (${ms} ms)`
          : `the call took longer than timeout_ms (${ms} ms)`,
      { provider, status: 504, isRetryable: true },
    ),

  generationFailed: (provider: string, cause: unknown): ProviderError =>
    new ProviderError(`generation failed: ${messageOf(cause)}`, { provider, status: 500, isRetryable: true, cause }),

  closed: (provider: string): ProviderError =>
    new ProviderError(`provider "${provider}" is closed`, { provider, status: 503, isRetryable: true }),
};

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
