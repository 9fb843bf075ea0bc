import { z } from 'zod';

/** An optional URL where "" (an unset `${VAR}`) means "off". */
const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim().replace(/\/+$/, '')))
  .pipe(z.url().optional());

/**
 * `models:` in config/switchboard.yaml: where local model files live, how downloads guard the disk, and which
 * local model servers the catalogue asks for their models.
 */
export const modelsConfigSchema = z.strictObject({
  /** GGUF files and manifest.json; relative to the project root. Downloads land here. */
  dir: z.string().default('models'),
  /**
   * A download starts only if at least this many MB stay free on the disk of `dir` after it; a disk that fills up
   * anyway mid-download stops it with the partial file kept to resume.
   */
  min_free_disk_mb: z.number().int().min(0).default(1024),
  /**
   * Serve the generated test model (random weights, a few hundred KB, written under data_dir) as
   * `<first llama-cpp provider>/test-model`, and only under that id.
   */
  test_model: z.boolean().default(true),
  /** Local model servers whose installed models the catalogue lists; "" turns one off. */
  discovery: z
    .strictObject({
      /** Docker Model Runner's API (its OpenAI-compatible /engines/v1/models). */
      docker_model_runner_url: optionalUrl.default('http://127.0.0.1:12434'),
      /** Ollama's API (/api/tags). */
      ollama_url: optionalUrl.default('http://127.0.0.1:11434'),
      /** How long the catalogue waits for each before it counts it as absent. */
      timeout_ms: z.number().int().positive().default(1500),
    })
    .default({ docker_model_runner_url: 'http://127.0.0.1:12434', ollama_url: 'http://127.0.0.1:11434', timeout_ms: 1500 }),
});

export type ModelsConfig = z.output<typeof modelsConfigSchema>;
