import { findProjectRoot } from '@switchboard/config';
import { readModelManifest, type ManifestModel, type ModelManifest } from '@switchboard/providers';
import path from 'node:path';

/** The known models and where they live, for the `models` commands. */
export interface ModelCatalog {
  /** The folder that holds config/ and models/. */
  root: string;
  modelsDir: string;
  manifestPath: string;
  manifest: ModelManifest;
}

/** What the `models` commands read from their surroundings; tests pass their own. */
export interface ModelsCommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Messages for the person at the terminal. */
  out: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function loadCatalog(cwd: string): Promise<ModelCatalog> {
  const root = findProjectRoot(cwd);
  const modelsDir = path.join(root, 'models');
  const manifestPath = path.join(modelsDir, 'manifest.json');
  return { root, modelsDir, manifestPath, manifest: await readModelManifest(manifestPath) };
}

/** The manifest entry called `name`; an unknown name fails listing the known ones. */
export function pickModel(catalog: ModelCatalog, name: string): ManifestModel {
  const model = catalog.manifest.models.find((m) => m.name === name);
  if (!model) {
    const known = catalog.manifest.models.map((m) => m.name).join(', ');
    throw new Error(`unknown model "${name}"; known models: ${known} (listed in ${catalog.manifestPath})`);
  }
  return model;
}

export const formatMB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
