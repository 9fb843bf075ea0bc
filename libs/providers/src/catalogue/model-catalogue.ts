import type {
  CatalogueModelDto,
  LlamaCppProviderConfig,
  ModelCatalogueDto,
  ModelDownloadDto,
  ModelMemory,
  SwitchboardConfig,
} from '@switchboard/contracts';
import { statfs, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lowerBoundNeed } from '../llama-cpp/memory-estimate.js';
import type { ManifestModel, ModelManifest } from '../llama-cpp/model-manifest.js';
import { firstLlamaProvider, TEST_MODEL_NAME, testModelPath } from '../llama-cpp/served-models.js';
import { discoverDockerModelRunner, discoverOllama, type DiscoveredModel, type Discovery } from './local-servers.js';

export interface CatalogueOptions {
  /** The GGUF manifest; null when it could not be read (the catalogue then lists what is configured). */
  manifest: ModelManifest | null;
  /** Downloads in progress or finished, by manifest name. */
  downloads?: ReadonlyMap<string, ModelDownloadDto>;
  /** RAM to count as free; default os.freemem() (MemAvailable on Linux). */
  freeRamBytes?: number;
  /** The default local model when it was selected after `config` was loaded (`<provider>/<name>`). */
  defaultModelId?: string;
}

/** Same headroom as the worker's check before it loads a model (memory-estimate.ts). */
const RAM_HEADROOM = 1.1;
/** A model a server holds: weights plus a rough allowance for its KV cache and buffers at a 4096 context. */
const FILE_SIZE_FACTOR = 1.25;

/**
 * Builds the catalogue: configured models first (llama-cpp ones with their file's state and a memory estimate
 * from the GGUF metadata), then manifest models the config does not point at (served as
 * `<first llama-cpp provider>/<name>`, see withServedLocalModels), the test model, and what Docker Model Runner
 * and Ollama hold (a model a configured provider already lists is one row). `config` is the loaded config, as
 * the file says, not the served one.
 */
export async function buildModelCatalogue(config: SwitchboardConfig, options: CatalogueOptions): Promise<ModelCatalogueDto> {
  const freeRam = options.freeRamBytes ?? os.freemem();
  const manifest = options.manifest?.models ?? [];
  const byFile = new Map(manifest.map((m) => [path.resolve(config.models.dir, m.file), m]));
  const downloads = options.downloads ?? new Map<string, ModelDownloadDto>();
  const llama = firstLlamaProvider(config);
  const rows: CatalogueModelDto[] = [];
  const defaultId = options.defaultModelId ?? (llama?.models[0] ? `${llama.name}/${llama.models[0].name}` : null);
  const fits = (ram: number): boolean => ram * RAM_HEADROOM <= freeRam;

  const discovery = discoverLocalServers(config);
  for (const provider of config.providers) {
    if (provider.type === 'llama-cpp') {
      for (const model of provider.models) {
        const entry = byFile.get(path.resolve(model.file));
        rows.push(await llamaRow(config, provider, model, entry, entry ? downloads.get(entry.name) ?? null : null, fits));
      }
      continue;
    }
    for (const name of provider.models) {
      rows.push({
        ...blankRow(`${provider.name}/${name}`, name, 'config'),
        local: isLoopbackProvider(provider.preset, provider.base_url),
        served_as: provider.enabled ? `${provider.name}/${name}` : null,
        provider: provider.name,
        hint: provider.enabled ? null : `provider "${provider.name}" is disabled (providers[].enabled)`,
      });
    }
  }

  const configuredFiles = new Set(config.providers.flatMap((p) => (p.type === 'llama-cpp' ? p.models.map((m) => path.resolve(m.file)) : [])));
  const configuredNames = new Set(llama?.models.map((m) => m.name) ?? []);
  for (const entry of manifest) {
    const file = path.resolve(config.models.dir, entry.file);
    if (configuredFiles.has(file)) continue;
    const servedAs = llama && !configuredNames.has(entry.name) ? `${llama.name}/${entry.name}` : null;
    const state = await fileState(file);
    const memory: ModelMemory = { ram_bytes: entry.ram_bytes, vram_bytes: null, basis: 'manifest', fits: fits(entry.ram_bytes) };
    rows.push({
      ...manifestFields(entry),
      id: servedAs ?? `manifest:${entry.name}`,
      name: entry.name,
      source: 'manifest',
      local: true,
      served_as: servedAs,
      provider: servedAs ? llama!.name : null,
      file: state,
      memory,
      default: false,
      test_model: false,
      download: downloads.get(entry.name) ?? null,
      hint: servedAs ? localHint(entry, state, memory, freeRam) : 'no llama-cpp provider is configured to serve it (providers[] with type: llama-cpp)',
    });
  }

  if (llama && config.models.test_model && !configuredNames.has(TEST_MODEL_NAME)) {
    const file = testModelPath(config);
    const state = await fileState(file);
    rows.push({
      ...blankRow(`${llama.name}/${TEST_MODEL_NAME}`, TEST_MODEL_NAME, 'test-model'),
      description: 'The generated test model: a few hundred KB of random weights, so its answers are noise. For trying the platform out and for tests.',
      local: true,
      served_as: `${llama.name}/${TEST_MODEL_NAME}`,
      provider: llama.name,
      quantization: 'F32',
      file: state,
      memory: state.present ? { ram_bytes: state.bytes_on_disk * 4, vram_bytes: null, basis: 'file-size', fits: true } : null,
      test_model: true,
      hint: state.present ? null : 'written when the platform starts',
    });
  }

  const discovered = await discovery;
  for (const { models } of discovered) {
    for (const model of models) {
      const servedBy = servingProvider(config, model);
      const id = servedBy ? `${servedBy}/${model.name}` : `${model.kind}:${model.name}`;
      const ram = model.sizeBytes === null ? null : Math.round(model.sizeBytes * FILE_SIZE_FACTOR);
      const memory: ModelMemory | null = ram === null ? null : { ram_bytes: ram, vram_bytes: null, basis: 'file-size', fits: fits(ram) };
      const existing = rows.find((r) => r.id === id);
      const fields = { size_bytes: model.sizeBytes, quantization: model.quantization, memory, local: true };
      if (existing) {
        Object.assign(existing, fields);
        continue;
      }
      rows.push({
        ...blankRow(id, model.name, model.kind),
        ...fields,
        description: model.parameters ? `${model.parameters} parameters, held by ${model.kind === 'ollama' ? 'Ollama' : 'Docker Model Runner'}` : '',
        served_as: servedBy ? id : null,
        provider: servedBy,
        hint: servedBy ? null : servingHint(model),
      });
    }
  }

  for (const row of rows) row.default = row.served_as !== null && row.served_as === defaultId;
  return {
    machine: {
      total_ram_bytes: os.totalmem(),
      free_ram_bytes: freeRam,
      free_disk_bytes: await freeDiskBytes(config.models.dir),
      models_dir: config.models.dir,
    },
    local_servers: discovered.map((d) => d.server),
    data: rows,
  };
}

/** Free bytes for an unprivileged writer on the disk that holds `dir` (or its nearest existing parent). */
export async function freeDiskBytes(dir: string): Promise<number | null> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      const s = await statfs(current);
      return s.bavail * s.bsize;
    } catch {
      if (path.dirname(current) === current) return null;
    }
  }
}

async function llamaRow(
  config: SwitchboardConfig,
  provider: LlamaCppProviderConfig,
  model: LlamaCppProviderConfig['models'][number],
  entry: ManifestModel | undefined,
  download: ModelDownloadDto | null,
  fits: (ram: number) => boolean,
): Promise<CatalogueModelDto> {
  const id = `${provider.name}/${model.name}`;
  const state = await fileState(model.file);
  let memory: ModelMemory | null = null;
  if (state.present) memory = await ggufMemory(model, state.bytes_on_disk, fits);
  if (!memory && entry) memory = { ram_bytes: entry.ram_bytes, vram_bytes: null, basis: 'manifest', fits: fits(entry.ram_bytes) };
  const isTest = path.basename(model.file) === path.basename(testModelPath(config));
  return {
    ...blankRow(id, model.name, isTest ? 'test-model' : 'config'),
    ...(entry ? manifestFields(entry) : {}),
    local: true,
    served_as: provider.enabled ? id : null,
    provider: provider.name,
    file: state,
    memory,
    test_model: isTest,
    download,
    hint: !provider.enabled
      ? `provider "${provider.name}" is disabled (providers[].enabled)`
      : entry
        ? localHint(entry, state, memory, null)
        : state.present
          ? null
          : `no file at ${model.file}: put a GGUF there (any llama.cpp model works)`,
  };
}

/** Weights plus KV cache for the configured n_ctx and parallel, read from the GGUF header (no load). */
async function ggufMemory(model: LlamaCppProviderConfig['models'][number], size: number, fits: (ram: number) => boolean): Promise<ModelMemory | null> {
  try {
    // Loaded on use: the api's image has no node-llama-cpp, and then the manifest's figure stands.
    const { readGgufFileInfo } = await import('node-llama-cpp');
    const info = await readGgufFileInfo(model.file, { logWarnings: false });
    const gpu = model.params.gpu_layers;
    // "auto" fits layers to free VRAM at load time; for the estimate, count them on the CPU.
    const gpuLayers = gpu === 'max' ? Number.MAX_SAFE_INTEGER : gpu === 'auto' ? 0 : gpu;
    const need = lowerBoundNeed(info, size, { contextSize: model.params.n_ctx, sequences: model.params.parallel, gpuLayers });
    const ram = Math.round(need.ramBytes);
    return { ram_bytes: ram, vram_bytes: need.vramBytes > 0 ? Math.round(need.vramBytes) : null, basis: 'gguf', fits: fits(ram) };
  } catch {
    return null;
  }
}

function localHint(entry: ManifestModel, state: CatalogueModelDto['file'], memory: ModelMemory | null, freeRam: number | null): string | null {
  if (state && !state.present) {
    return `not downloaded: \`switchboard models download ${entry.name}\` (or POST /api/models/${entry.name}/download)` +
      (state.partial_bytes > 0 ? `; ${state.partial_bytes} bytes are there to resume` : '');
  }
  if (memory && !memory.fits) {
    return `needs ~${gib(memory.ram_bytes)} GiB of RAM${freeRam === null ? '' : `, ${gib(freeRam)} GiB free`}: the worker will refuse to load it; lower n_ctx or pick a smaller model`;
  }
  return null;
}

type ManifestFields = Pick<CatalogueModelDto, 'description' | 'quantization' | 'size_bytes' | 'context_length' | 'tools' | 'url' | 'sha256'>;

function manifestFields(entry: ManifestModel): ManifestFields {
  return {
    description: entry.description,
    quantization: entry.quantization,
    size_bytes: entry.size_bytes,
    context_length: entry.context_length ?? null,
    tools: entry.tools,
    url: entry.url,
    sha256: entry.sha256,
  };
}

function blankRow(id: string, name: string, source: CatalogueModelDto['source']): CatalogueModelDto {
  return {
    id,
    name,
    source,
    local: false,
    served_as: null,
    provider: null,
    description: '',
    quantization: null,
    size_bytes: null,
    context_length: null,
    tools: null,
    file: null,
    url: null,
    sha256: null,
    memory: null,
    default: false,
    test_model: false,
    download: null,
    hint: null,
  };
}

async function fileState(file: string): Promise<NonNullable<CatalogueModelDto['file']>> {
  const size = async (p: string): Promise<number | undefined> => stat(p).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
  const [whole, part] = await Promise.all([size(file), size(`${file}.part`)]);
  return { path: file, present: whole !== undefined && whole > 0, bytes_on_disk: whole ?? 0, partial_bytes: part ?? 0 };
}

function discoverLocalServers(config: SwitchboardConfig): Promise<Discovery[]> {
  const { docker_model_runner_url: dmr, ollama_url: ollama, timeout_ms: timeout } = config.models.discovery;
  return Promise.all([...(dmr ? [discoverDockerModelRunner(dmr, timeout)] : []), ...(ollama ? [discoverOllama(ollama, timeout)] : [])]);
}

/** The enabled openai-compatible provider that talks to this kind of server, if one is configured. */
function servingProvider(config: SwitchboardConfig, model: DiscoveredModel): string | null {
  const preset = model.kind === 'ollama' ? 'ollama' : 'dmr';
  const url = model.kind === 'ollama' ? config.models.discovery.ollama_url : config.models.discovery.docker_model_runner_url;
  const provider = config.providers.find(
    (p) => p.type === 'openai-compatible' && p.enabled && (p.base_url ? url !== undefined && p.base_url.startsWith(url) : p.preset === preset),
  );
  return provider?.name ?? null;
}

function servingHint(model: DiscoveredModel): string {
  const preset = model.kind === 'ollama' ? 'ollama' : 'dmr';
  return `to serve it, add a provider { name: ${preset}, type: openai-compatible, preset: ${preset} } and ask for ${preset}/${model.name}`;
}

function isLoopbackProvider(preset: string | undefined, baseUrl: string | undefined): boolean {
  if (baseUrl) {
    const host = new URL(baseUrl).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
  }
  return preset === 'ollama' || preset === 'dmr' || preset === 'vllm';
}

const gib = (bytes: number): string => (bytes / 1024 ** 3).toFixed(1);
