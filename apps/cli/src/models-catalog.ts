import { findProjectRoot, loadConfig } from '@switchboard/config';
import { manifestPathIn, readModelManifest, type ManifestModel, type ModelManifest } from '@switchboard/providers';

/** The known models and where they live, for the `models` commands. */
export interface ModelCatalog {
  /** The folder that holds config/ and models/. */
  root: string;
  modelsDir: string;
  manifestPath: string;
  manifest: ModelManifest;
  /** Bytes a download must leave free (models.min_free_disk_mb). */
  minFreeBytes: number;
}

/** What the `models` commands read from their surroundings; tests pass their own. */
export interface ModelsCommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Messages for the person at the terminal. */
  out: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The models directory and manifest as the config names them (models.dir), read like the platform reads them. */
export async function loadCatalog(cwd: string, env: NodeJS.ProcessEnv): Promise<ModelCatalog> {
  const root = findProjectRoot(cwd);
  const { models } = loadConfig({ env, cwd });
  const manifestPath = manifestPathIn(models.dir);
  return { root, modelsDir: models.dir, manifestPath, manifest: await readModelManifest(manifestPath), minFreeBytes: models.min_free_disk_mb * 1_000_000 };
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
