import type { LocalServerDto } from '@switchboard/contracts';

/** A model a local model server holds, as far as its API tells. */
export interface DiscoveredModel {
  kind: LocalServerDto['kind'];
  /** The server's own name for it (`ai/smollm2`, `llama3.2:1b`): what its OpenAI-compatible API takes. */
  name: string;
  sizeBytes: number | null;
  quantization: string | null;
  /** `1.2B`, `361.82 M`: as the server words it. */
  parameters: string | null;
}

export interface Discovery {
  server: LocalServerDto;
  models: DiscoveredModel[];
}

/**
 * Docker Model Runner: `GET /models` lists the installed models with their GGUF config (`size` as text such as
 * "256.35 MiB"). Older or proxied set-ups may only answer the OpenAI-compatible `/engines/v1/models` (ids only).
 */
export async function discoverDockerModelRunner(url: string, timeoutMs: number): Promise<Discovery> {
  const kind = 'docker-model-runner' as const;
  try {
    const native = await getJson(`${url}/models`, timeoutMs).catch(() => undefined);
    if (Array.isArray(native)) {
      const models = native.flatMap((entry: unknown): DiscoveredModel[] => {
        const e = entry as { id?: unknown; tags?: unknown; config?: { quantization?: unknown; parameters?: unknown; size?: unknown } };
        const name = Array.isArray(e.tags) && typeof e.tags[0] === 'string' ? e.tags[0] : typeof e.id === 'string' ? e.id : undefined;
        if (!name) return [];
        return [
          {
            kind,
            name,
            sizeBytes: typeof e.config?.size === 'string' ? parseByteSize(e.config.size) : null,
            quantization: typeof e.config?.quantization === 'string' ? e.config.quantization : null,
            parameters: typeof e.config?.parameters === 'string' ? e.config.parameters.trim() : null,
          },
        ];
      });
      return found(kind, url, models);
    }
    const openai = (await getJson(`${url}/engines/v1/models`, timeoutMs)) as { data?: { id?: unknown }[] };
    if (!Array.isArray(openai?.data)) return absent(kind, url, 'it answered, but not with a model list');
    const models = openai.data.flatMap((m) => (typeof m.id === 'string' ? [{ kind, name: m.id, sizeBytes: null, quantization: null, parameters: null }] : []));
    return found(kind, url, models);
  } catch (error) {
    return absent(kind, url, reason(error));
  }
}

/** Ollama: `GET /api/tags` lists the pulled models with their size in bytes and quantization level. */
export async function discoverOllama(url: string, timeoutMs: number): Promise<Discovery> {
  const kind = 'ollama' as const;
  try {
    const body = (await getJson(`${url}/api/tags`, timeoutMs)) as { models?: unknown };
    if (!Array.isArray(body?.models)) return absent(kind, url, 'it answered, but not with a model list');
    const models = body.models.flatMap((entry: unknown): DiscoveredModel[] => {
      const e = entry as { name?: unknown; model?: unknown; size?: unknown; details?: { quantization_level?: unknown; parameter_size?: unknown } };
      const name = typeof e.name === 'string' ? e.name : typeof e.model === 'string' ? e.model : undefined;
      if (!name) return [];
      return [
        {
          kind,
          name,
          sizeBytes: typeof e.size === 'number' && e.size > 0 ? Math.round(e.size) : null,
          quantization: typeof e.details?.quantization_level === 'string' ? e.details.quantization_level : null,
          parameters: typeof e.details?.parameter_size === 'string' ? e.details.parameter_size : null,
        },
      ];
    });
    return found(kind, url, models);
  } catch (error) {
    return absent(kind, url, reason(error));
  }
}

/** "256.35 MiB", "4.7 GB", "1.2GiB" -> bytes; null for anything else. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*([\d.]+)\s*([KMGT]?)(i?)B\s*$/i.exec(text);
  if (!m) return null;
  const power = ['', 'K', 'M', 'G', 'T'].indexOf(m[2]!.toUpperCase());
  const base = m[3] ? 1024 : 1000;
  const value = Number(m[1]);
  return Number.isFinite(value) ? Math.round(value * base ** power) : null;
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  return response.json();
}

const found = (kind: DiscoveredModel['kind'], url: string, models: DiscoveredModel[]): Discovery => ({
  server: { kind, url, available: true, models: models.length, error: null },
  models,
});

const absent = (kind: DiscoveredModel['kind'], url: string, error: string): Discovery => ({
  server: { kind, url, available: false, models: 0, error },
  models: [],
});

function reason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code === 'ECONNREFUSED' ? 'not running (connection refused)' : cause.code;
  return error instanceof Error ? error.message : String(error);
}
