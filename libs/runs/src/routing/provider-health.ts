import type { OpenAICompatibleProviderConfig, SwitchboardConfig } from '@switchboard/contracts';
import { providerTraits, resolveEndpoint } from '@switchboard/providers';
import type { Redis, RedisKeys } from '@switchboard/queue';
import type { Logger } from 'pino';

/** The last background probe of a provider's server. */
export interface ProviderProbe {
  ok: boolean;
  /** ms since the epoch. */
  checkedAt: number;
  latencyMs: number | null;
  error: string | null;
}

const PROBE_TIMEOUT_MS = 2000;

/**
 * Background probes of the providers that are servers on the user's own machine (Ollama, Docker Model
 * Runner, vLLM, llama.cpp's server; `health_check` in config): `GET <base_url>/models` every `intervalMs`, so a
 * stopped server is skipped by the router before a request pays for finding out. Each result also goes to
 * Redis for GET /api/providers. A provider never probed, or not probed, counts as up.
 */
export class ProviderHealth {
  private readonly probes = new Map<string, ProviderProbe>();
  private readonly targets: { name: string; url: string; apiKey: string }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    config: SwitchboardConfig,
    private readonly redis: Redis | null,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {
    for (const p of config.providers) {
      if (p.type !== 'openai-compatible' || !p.enabled || !providerTraits(p).healthCheck) continue;
      const endpoint = safeEndpoint(p);
      if (endpoint) this.targets.push({ name: p.name, url: `${endpoint.baseURL}/models`, apiKey: endpoint.apiKey });
    }
  }

  get probed(): readonly string[] {
    return this.targets.map((t) => t.name);
  }

  /** Probes once now (so the first requests already know), then every intervalMs. */
  async start(): Promise<void> {
    if (this.targets.length === 0) return;
    await this.probeAll();
    this.timer = setInterval(() => {
      this.probeAll().catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** False only when the last probe failed. */
  isUp(provider: string): boolean {
    return this.probes.get(provider)?.ok !== false;
  }

  probe(provider: string): ProviderProbe | undefined {
    return this.probes.get(provider);
  }

  async probeAll(): Promise<void> {
    await Promise.all(this.targets.map((t) => this.probeOne(t)));
  }

  private async probeOne(t: { name: string; url: string; apiKey: string }): Promise<void> {
    const started = Date.now();
    let result: ProviderProbe;
    try {
      const res = await fetch(t.url, { headers: { authorization: `Bearer ${t.apiKey}` }, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await res.body?.cancel();
      result = res.ok
        ? { ok: true, checkedAt: started, latencyMs: Date.now() - started, error: null }
        : { ok: false, checkedAt: started, latencyMs: Date.now() - started, error: `HTTP ${res.status}` };
    } catch (error) {
      result = { ok: false, checkedAt: started, latencyMs: null, error: describe(error) };
    }
    const before = this.probes.get(t.name);
    this.probes.set(t.name, result);
    if (before?.ok !== result.ok) {
      this.logger[result.ok ? 'info' : 'warn']({ provider: t.name, error: result.error }, result.ok ? 'provider is up' : 'provider is down');
    }
    await this.redis
      ?.set(this.keys.providerHealth(t.name), JSON.stringify(result), 'PX', this.intervalMs * 3)
      .catch(() => undefined);
  }
}

function safeEndpoint(p: OpenAICompatibleProviderConfig): { baseURL: string; apiKey: string } | null {
  try {
    return resolveEndpoint(p);
  } catch {
    return null;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
