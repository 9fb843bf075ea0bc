import { Inject, Injectable, Optional } from '@nestjs/common';
import { type ProviderStatusDto, type ProviderStatusListDto, type SwitchboardConfig } from '@switchboard/contracts';
import { type ProviderCallsRepository } from '@switchboard/db';
import { redisKeys } from '@switchboard/queue';
import { type RedisPinger } from '../api-deps.js';
import { API_CONFIG, PROVIDER_CALLS_REPOSITORY, REDIS } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';

const WINDOW_MINUTES = 15;

/**
 * Providers as the router sees them: circuit state and health probes from Redis (written by the gateways and
 * workers that route), recent latency and error rate from the recorded provider calls.
 */
@Injectable()
export class ProvidersService {
  constructor(
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    @Inject(PROVIDER_CALLS_REPOSITORY) private readonly calls: ProviderCallsRepository,
    @Optional() @Inject(REDIS) private readonly redis?: RedisPinger,
  ) {}

  /** Switches a provider off (or back on) for every gateway and worker; a provider off in config stays off. */
  async setEnabled(name: string, enabled: boolean): Promise<ProviderStatusDto> {
    const provider = this.config.providers.find((p) => p.name === name);
    if (!provider) throw ApiError.notFound('Provider', name);
    if (enabled && !provider.enabled) {
      throw ApiError.badRequest(`Provider ${name} is disabled in the config file (enabled: false); enable it there`, [{ path: 'enabled', message: 'disabled in config' }]);
    }
    if (!this.redis?.sadd || !this.redis.srem) throw new ApiError(503, 'service_unavailable_error', 'Switching a provider needs Redis, and this api has no Redis client');
    const key = redisKeys(this.config.redis.prefix).disabledProviders();
    try {
      await (enabled ? this.redis.srem(key, name) : this.redis.sadd(key, name));
    } catch (error) {
      throw new ApiError(503, 'service_unavailable_error', `Redis did not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    const status = (await this.list()).data.find((p) => p.name === name);
    if (!status) throw ApiError.notFound('Provider', name);
    return status;
  }

  async list(): Promise<ProviderStatusListDto> {
    const keys = redisKeys(this.config.redis.prefix);
    const providers = this.config.providers;
    const redisKeysWanted = providers.flatMap((p) => [`${keys.circuit(p.name)}:open`, `${keys.circuit(p.name)}:tripped`, keys.providerHealth(p.name)]);
    const [values, stats, off] = await Promise.all([
      this.redis?.mget && redisKeysWanted.length ? this.redis.mget(...redisKeysWanted).catch(() => []) : Promise.resolve([]),
      this.calls.statsSince(new Date(Date.now() - WINDOW_MINUTES * 60_000)),
      this.redis?.smembers ? this.redis.smembers(keys.disabledProviders()).catch(() => []) : Promise.resolve([]),
    ]);
    const disabled = new Set(off);
    const statsBy = new Map(stats.map((s) => [s.provider, s]));
    return {
      data: providers.map((p, i) => {
        const open = values[i * 3] ?? null;
        const tripped = values[i * 3 + 1] ?? null;
        const health = parseHealth(values[i * 3 + 2] ?? null);
        const s = statsBy.get(p.name);
        const openUntil = open !== null && Number(open) > Date.now() ? new Date(Number(open)).toISOString() : null;
        return {
          name: p.name,
          type: p.type,
          enabled: p.enabled && !disabled.has(p.name),
          disabled_at_runtime: disabled.has(p.name),
          models: p.type === 'llama-cpp' ? p.models.map((m) => m.name) : p.models,
          circuit: { state: openUntil ? 'open' : tripped !== null || open !== null ? 'half-open' : 'closed', open_until: openUntil },
          health,
          recent: {
            window_minutes: WINDOW_MINUTES,
            calls: s?.calls ?? 0,
            errors: s?.errors ?? 0,
            error_rate: s && s.calls ? s.errors / s.calls : null,
            avg_latency_ms: s?.avgLatencyMs ?? null,
            avg_ttft_ms: s?.avgTtftMs ?? null,
          },
        };
      }),
    };
  }
}

function parseHealth(raw: string | null): ProviderStatusListDto['data'][number]['health'] {
  if (!raw) return null;
  try {
    const h = JSON.parse(raw) as { ok: boolean; checkedAt: number; latencyMs: number | null; error: string | null };
    return { ok: h.ok, checked_at: new Date(h.checkedAt).toISOString(), latency_ms: h.latencyMs, error: h.error };
  } catch {
    return null;
  }
}
