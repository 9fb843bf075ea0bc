import { Inject, Injectable, Optional } from '@nestjs/common';
import { chooseConfigFile, DEFAULT_CONFIG_FILE, findProjectRoot, writeDefaultLocalModel } from '@switchboard/config';
import {
  type CatalogueModelDto,
  type ModelCatalogueDto,
  type ModelDownloadDto,
  type ModelSelectionDto,
  type StartModelDownloadRequest,
  type SwitchboardConfig,
} from '@switchboard/contracts';
import { buildModelCatalogue, firstLlamaProvider, type ManifestModel, manifestPathIn, type ModelManifest, readModelManifest } from '@switchboard/providers';
import { redisKeys } from '@switchboard/queue';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Logger } from 'pino';
import { API_CONFIG, LOGGER, MODELS_OPTIONS } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { type Principal } from '../auth/principal.js';
import { ModelJobsClient } from './model-jobs.client.js';

/** Where the api finds the config file to edit on `select`; default: SWITCHBOARD_CONFIG or config/switchboard.yaml. */
export interface ModelsOptions {
  configPath?: string;
}

/**
 * The catalogue and what can be done to its models: download a manifest model (a job on a worker), cancel it,
 * make a model the default local one. Download states live in Redis; without Redis the catalogue still answers
 * (without them) and the actions answer 503.
 */
@Injectable()
export class ModelsService {
  /** The model `select` made the default while this api runs (its config was loaded before). */
  private selected: string | undefined;

  constructor(
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: ModelJobsClient,
    @Optional() @Inject(MODELS_OPTIONS) private readonly options: ModelsOptions = {},
  ) {}

  async catalogue(): Promise<ModelCatalogueDto> {
    const downloads = await this.jobs.use((j) => j.downloads.list()).catch((error: unknown) => {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'model catalogue without download states');
      return new Map<string, ModelDownloadDto>();
    });
    return buildModelCatalogue(this.config, { manifest: await this.manifest(), downloads, ...(this.selected ? { defaultModelId: this.selected } : {}) });
  }

  /** One model by name (manifest name, configured entry name, or a local server's name). */
  async get(name: string): Promise<CatalogueModelDto> {
    const { data } = await this.catalogue();
    const found = data.find((m) => m.name === name && m.source !== 'ollama' && m.source !== 'docker-model-runner') ?? data.find((m) => m.name === name);
    if (!found) throw ApiError.notFound('Model', name);
    return found;
  }

  async download(principal: Principal, name: string, body: StartModelDownloadRequest): Promise<ModelDownloadDto> {
    const entry = await this.manifestEntry(name);
    const file = path.join(this.config.models.dir, entry.file);
    if (existsSync(file) && !body.force) throw ApiError.conflict(`Model ${name} is already downloaded (${file}); send { "force": true } to download it again`);
    const partial = existsSync(`${file}.part`) && !body.force ? statSync(`${file}.part`).size : 0;
    const { state } = await this.jobs.use((j) => j.downloads.start({ model: name, force: body.force, requestedBy: principal.keyId }, entry.size_bytes, partial));
    return state;
  }

  async cancelDownload(name: string): Promise<ModelDownloadDto> {
    await this.manifestEntry(name);
    const state = await this.jobs.use((j) => j.downloads.cancel(name, j.notifier));
    if (!state) throw ApiError.conflict(`No download of ${name} is queued or running`);
    return state;
  }

  /**
   * Edits the config file (the same edit as `switchboard models select`) and tells running workers, which serve
   * the model as the default from their next run on.
   */
  async select(name: string): Promise<ModelSelectionDto> {
    const llama = firstLlamaProvider(this.config);
    if (!llama) throw ApiError.badRequest('No llama-cpp provider is configured: add one to providers[] to serve local models');
    const manifest = await this.manifest();
    const entry = manifest?.models.find((m) => m.name === name);
    const configured = llama.models.find((m) => m.name === name);
    if (!entry && !configured) throw ApiError.notFound('Model', name);
    const root = findProjectRoot(process.cwd());
    const configPath = this.options.configPath ?? chooseConfigFile({ env: process.env, cwd: process.cwd() })?.path ?? path.join(root, DEFAULT_CONFIG_FILE);
    const outcome = await writeDefaultLocalModel({
      name,
      file: configured?.file ?? path.join(this.config.models.dir, entry!.file),
      root,
      configPath,
      env: process.env,
      cwd: process.cwd(),
      ...(entry ? { ramBytes: entry.ram_bytes, downloadHint: `POST /api/models/${name}/download (or \`switchboard models download ${name}\`)` } : {}),
    }).catch((error: unknown) => {
      throw ApiError.badRequest(error instanceof Error ? error.message : String(error));
    });
    this.selected = outcome.modelId;
    const listeners = await this.jobs.use((j) => j.redis.publish(redisKeys(this.config.redis.prefix).modelSelectedChannel(), JSON.stringify({ model: outcome.entryName })));
    return { model_id: outcome.modelId, config_path: configPath, change: outcome.change, applied: listeners > 0, notes: outcome.notes };
  }

  private async manifestEntry(name: string): Promise<ManifestModel> {
    const manifest = await this.manifest();
    const entry = manifest?.models.find((m) => m.name === name);
    if (!entry) {
      const known = manifest?.models.map((m) => m.name).join(', ') ?? 'none (the manifest could not be read)';
      throw new ApiError(404, 'not_found_error', `Model ${name} is not in the manifest (${manifestPathIn(this.config.models.dir)}); known: ${known}`);
    }
    return entry;
  }

  private async manifest(): Promise<ModelManifest | null> {
    return readModelManifest(manifestPathIn(this.config.models.dir)).catch((error: unknown) => {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'model manifest unreadable');
      return null;
    });
  }
}
