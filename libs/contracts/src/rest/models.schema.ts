import { z } from 'zod';
import { timestampSchema } from './pagination.schema.js';

/**
 * The model catalogue (`GET /api/models`): every model the platform can serve or fetch, from four sources:
 * configured providers, the GGUF manifest (models/manifest.json), and the local model servers it finds
 * (Docker Model Runner, Ollama). Local models carry a memory estimate against this machine's free RAM.
 */

export const catalogueSources = ['config', 'manifest', 'test-model', 'docker-model-runner', 'ollama'] as const;
export type CatalogueSource = (typeof catalogueSources)[number];

export const modelDownloadStatuses = ['queued', 'downloading', 'completed', 'failed', 'cancelled'] as const;
export type ModelDownloadStatus = (typeof modelDownloadStatuses)[number];

/** A manifest model's download: the job's state, kept in Redis while the platform runs. */
export const modelDownloadSchema = z
  .object({
    model: z.string(),
    status: z.enum(modelDownloadStatuses),
    /** The BullMQ job running it. */
    job_id: z.string(),
    received_bytes: z.number().int(),
    /** The file's size as the server announced it (the manifest's size until it did). */
    total_bytes: z.number().int().nullable(),
    /** Bytes a resumed download kept from an earlier attempt. */
    resumed_from_bytes: z.number().int(),
    /** Why it failed: `disk` (not enough free space), `checksum`, `size`, `http`, `network`, `interrupted`. */
    failure: z.string().nullable(),
    error: z.string().nullable(),
    /** The file's sha256 once complete. */
    sha256: z.string().nullable(),
    started_at: timestampSchema,
    updated_at: timestampSchema,
    finished_at: timestampSchema.nullable(),
  })
  .meta({ id: 'ModelDownload' });
export type ModelDownloadDto = z.output<typeof modelDownloadSchema>;

/** The RAM (and VRAM) a local model needs, and whether this machine has it free now. */
export const modelMemorySchema = z.object({
  ram_bytes: z.number().int(),
  /** With layers offloaded (gpu_layers > 0); null on CPU. */
  vram_bytes: z.number().int().nullable(),
  /**
   * How the figure was made: `gguf` from the file's metadata (weights + KV cache for the configured n_ctx and
   * parallel), `manifest` the manifest's figure at n_ctx 4096, `file-size` a rough 1.25 x the model's size
   * (for models a local server holds, whose files this process cannot read).
   */
  basis: z.enum(['gguf', 'manifest', 'file-size']),
  /** The estimate plus 10 % headroom fits in the RAM free now (the worker applies the same rule before loading). */
  fits: z.boolean(),
});
export type ModelMemory = z.output<typeof modelMemorySchema>;

export const catalogueModelSchema = z
  .object({
    /** Unique in the catalogue: the model id clients use when it can be served, else `<source>:<name>`. */
    id: z.string(),
    name: z.string(),
    source: z.enum(catalogueSources),
    /** Runs on this machine (llama-cpp, Docker Model Runner, Ollama) or at a remote provider. */
    local: z.boolean(),
    /** The model id to send to /v1/chat/completions; null while nothing is configured to serve it. */
    served_as: z.string().nullable(),
    /** The provider serving it, when one is configured. */
    provider: z.string().nullable(),
    description: z.string(),
    quantization: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
    context_length: z.number().int().nullable(),
    /** Whether its chat template supports tool calls; null when unknown. */
    tools: z.boolean().nullable(),
    /** Where the GGUF file is (or would be) and whether it is there; null for models held by a server. */
    file: z
      .object({
        path: z.string(),
        present: z.boolean(),
        bytes_on_disk: z.number().int(),
        /** Bytes of an interrupted download waiting to be resumed. */
        partial_bytes: z.number().int(),
      })
      .nullable(),
    /** Manifest models: where they download from, and the checksum they must have (null when not known yet). */
    url: z.string().nullable(),
    sha256: z.string().nullable(),
    memory: modelMemorySchema.nullable(),
    /** The default local model: the first model of the first llama-cpp provider, which `auto` uses first. */
    default: z.boolean(),
    /** The generated test model: random weights, its answers are noise. */
    test_model: z.boolean(),
    download: modelDownloadSchema.nullable(),
    /** What to do to use it, when something is missing (the file, a provider). */
    hint: z.string().nullable(),
  })
  .meta({ id: 'CatalogueModel' });
export type CatalogueModelDto = z.output<typeof catalogueModelSchema>;

/** A local model server the catalogue asked for its models. */
export const localServerSchema = z.object({
  kind: z.enum(['docker-model-runner', 'ollama']),
  url: z.string(),
  available: z.boolean(),
  models: z.number().int(),
  /** Why it counts as absent (not running, an unexpected answer). */
  error: z.string().nullable(),
});
export type LocalServerDto = z.output<typeof localServerSchema>;

export const modelCatalogueSchema = z
  .object({
    machine: z.object({
      total_ram_bytes: z.number().int(),
      free_ram_bytes: z.number().int(),
      /** Free space on the disk of the models directory. */
      free_disk_bytes: z.number().int().nullable(),
      models_dir: z.string(),
    }),
    local_servers: z.array(localServerSchema),
    data: z.array(catalogueModelSchema),
  })
  .meta({ id: 'ModelCatalogue' });
export type ModelCatalogueDto = z.output<typeof modelCatalogueSchema>;

/** `POST /api/models/:name/download`. */
export const startModelDownloadRequestSchema = z
  .strictObject({
    /** Download again even if the file is there. */
    force: z.boolean().default(false),
  })
  .default({ force: false });
export type StartModelDownloadRequest = z.output<typeof startModelDownloadRequestSchema>;

/** `POST /api/models/:name/select`: what changed and what now serves `auto`. */
export const modelSelectionSchema = z
  .object({
    /** The model id it is served as now, e.g. `local/qwen2.5-1.5b-instruct`. */
    model_id: z.string(),
    config_path: z.string(),
    change: z.enum(['unchanged', 'moved', 'added']),
    /** Running workers already serve it as the default (they were told over Redis). */
    applied: z.boolean(),
    /** Things to know: `auto` tries another provider first, the file is not there yet, it will not fit. */
    notes: z.array(z.string()),
  })
  .meta({ id: 'ModelSelection' });
export type ModelSelectionDto = z.output<typeof modelSelectionSchema>;
