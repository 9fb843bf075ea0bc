import path from 'node:path';
import type { ProviderError } from '../language-model.js';
import { llamaErrors } from './llama-errors.js';
import { manifestPathIn, readModelManifest } from './model-manifest.js';

/**
 * The error for a model whose file is not there (404, not retryable): it names the manifest model the file
 * belongs to (the manifest beside the file), so the message says exactly what to download.
 */
export async function missingModelFileError(provider: string, model: string, file: string): Promise<ProviderError> {
  const manifest = await readModelManifest(manifestPathIn(path.dirname(file))).catch(() => null);
  return llamaErrors.missingFile(provider, model, file, manifest?.models.find((m) => m.file === path.basename(file))?.name);
}
