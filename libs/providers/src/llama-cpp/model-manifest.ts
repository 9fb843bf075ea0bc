import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** One known GGUF model in models/manifest.json. */
export const manifestModelSchema = z.looseObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "-" or "_"'),
  description: z.string().default(''),
  /** File name under the models directory. */
  file: z.string().regex(/^[^/\\]+\.gguf$/, 'a .gguf file name without directories'),
  /** Where to download it (a Hugging Face resolve URL). */
  url: z.url(),
  quantization: z.string(),
  /** Published file size (rounded; the sha256, when known, is the exact check). */
  size_bytes: z.number().int().positive(),
  /** Approximate RAM to run it at n_ctx 4096, parallel 1. */
  ram_bytes: z.number().int().positive(),
  context_length: z.number().int().positive().optional(),
  /** Whether its chat template supports tool calls. */
  tools: z.boolean().default(false),
  license: z.string().optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable()
    .default(null),
});

export const modelManifestSchema = z.looseObject({
  version: z.literal(1),
  /** The model `switchboard models select` proposes first. */
  default: z.string().optional(),
  models: z.array(manifestModelSchema),
});

export type ManifestModel = z.output<typeof manifestModelSchema>;
export type ModelManifest = z.output<typeof modelManifestSchema>;

export interface ModelFileStatus {
  model: ManifestModel;
  /** Absolute path the file has (or would have) on disk. */
  path: string;
  /** The complete file is there. */
  present: boolean;
  bytesOnDisk: number;
  /** Bytes of an interrupted download (`<file>.part`), 0 if none. */
  partialBytes: number;
}

/** Reads and validates a manifest; a broken one fails with the path and the offending keys. */
export async function readModelManifest(manifestPath: string): Promise<ModelManifest> {
  const text = await readFile(manifestPath, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = modelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${manifestPath} is not a valid model manifest: ${issues}`);
  }
  const names = new Set<string>();
  for (const m of parsed.data.models) {
    if (names.has(m.name)) throw new Error(`${manifestPath}: model "${m.name}" is listed twice`);
    names.add(m.name);
  }
  return parsed.data;
}

/** Which manifest models are on disk under `modelsDir`, complete or partly downloaded. */
export async function modelFilesOnDisk(manifest: ModelManifest, modelsDir: string): Promise<ModelFileStatus[]> {
  const sizeOf = (file: string): Promise<number | undefined> =>
    stat(file).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
  return Promise.all(
    manifest.models.map(async (model) => {
      const file = path.resolve(modelsDir, model.file);
      const [size, partial] = await Promise.all([sizeOf(file), sizeOf(`${file}.part`)]);
      return { model, path: file, present: size !== undefined && size > 0, bytesOnDisk: size ?? 0, partialBytes: partial ?? 0 };
    }),
  );
}

/**
 * Writes a model's checksum into the manifest when it has none yet, keeping the file's JSON layout (2-space
 * indent, key order), so every later download of it is checked. False when the model already had one.
 */
export async function recordManifestSha256(manifestPath: string, name: string, sha256: string): Promise<boolean> {
  const json = JSON.parse(await readFile(manifestPath, 'utf8')) as { models?: { name?: string; sha256?: string | null }[] };
  const entry = json.models?.find((m) => m.name === name);
  if (!entry || entry.sha256) return false;
  entry.sha256 = sha256;
  await writeFile(manifestPath, `${JSON.stringify(json, null, 2)}\n`);
  return true;
}

/** The manifest of the models directory: `<models.dir>/manifest.json`. */
export const manifestPathIn = (modelsDir: string): string => path.join(modelsDir, 'manifest.json');
