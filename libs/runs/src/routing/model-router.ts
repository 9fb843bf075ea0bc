import { existsSync } from 'node:fs';
import type { ProviderConfig, SwitchboardConfig, Usage } from '@switchboard/contracts';
import type { ProviderError } from '@switchboard/providers';
import { missingModelFileError, providerTraits } from '@switchboard/providers';
import type { Redis, RedisKeys } from '@switchboard/queue';
import { tracingEnabled } from '@switchboard/config';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ProviderRegistry } from '../provider-registry.js';
import { CircuitBreakers } from './circuit-breakers.js';
import { ProviderHealth } from './provider-health.js';
import { ProviderSwitches } from './provider-switches.js';
import { RateLimits } from './rate-limits.js';
import { RouteMetrics } from './route-metrics.js';
import { tracedAttempts } from './route-tracing.js';
import { type Gate, type RouteCandidate, RoutedModel, type RouteObserver, type RouteServices } from './routed-model.js';

const OPEN_GATE: Gate = { skip: null, probe: false };

export interface ModelRouterDeps {
  config: SwitchboardConfig;
  registry: ProviderRegistry;
  /** A command connection (auto-pipelined is fine). */
  redis: Redis;
  /** A connection in subscriber mode, for circuit changes; null: this process polls them every 5 s. */
  sub: Redis | null;
  keys: RedisKeys;
  logger: Logger;
  /** Probe local servers in the background (default true). */
  healthChecks?: boolean;
  /** The host app's metrics registry, for the router's metrics (RouteMetrics); none: not measured. */
  metrics?: Registry;
}

/**
 * The router both hosts of a run use (a gateway's inline runs, a worker's queued runs): it turns a run's
 * candidates into one LanguageModel (RoutedModel) and owns what every process shares through Redis: circuit
 * breakers, provider rate limits, health probes of local servers.
 */
export class ModelRouter {
  readonly breakers: CircuitBreakers;
  readonly health: ProviderHealth;
  readonly limits: RateLimits;
  readonly switches: ProviderSwitches;
  readonly metrics: RouteMetrics | null;
  private readonly providers = new Map<string, ProviderConfig>();
  private readonly services: RouteServices;
  /** Model files checked recently: a missing one is skipped without a disk check per call. */
  private readonly fileChecks = new Map<string, { exists: boolean; at: number }>();

  constructor(private readonly deps: ModelRouterDeps) {
    const { config, redis, keys, logger } = deps;
    for (const p of config.providers) this.providers.set(p.name, p);
    this.breakers = new CircuitBreakers(config, redis, keys, logger);
    this.health = new ProviderHealth(config, redis, keys, logger);
    this.limits = new RateLimits(redis, keys);
    this.switches = new ProviderSwitches(redis, keys);
    this.metrics = deps.metrics
      ? new RouteMetrics(deps.metrics, {
          providers: config.providers.map((p) => p.name),
          circuit: (provider) => this.breakers.view(provider).state,
          price: (provider, model, usage) => deps.registry.price(provider, model, usage),
        })
      : null;
    this.services = {
      autoPick: config.auto_pick,
      model: (c) => deps.registry.get(c.provider, c.model),
      gate: (c) => this.gate(c),
      continuation: (c) => this.continuation(c),
      succeeded: (c, usage, probe) => this.succeeded(c, usage, probe),
      failed: (c, error) => this.failed(c, error),
    };
  }

  async start(): Promise<void> {
    await this.switches.start();
    await this.breakers.start(this.deps.sub);
    if (this.deps.healthChecks !== false) await this.health.start();
  }

  stop(): void {
    this.switches.stop();
    this.breakers.stop();
    this.health.stop();
  }

  /** One LanguageModel over `candidates`, tried in order (see RoutedModel). */
  model(candidates: readonly RouteCandidate[], observer?: RouteObserver): RoutedModel {
    const measured = this.metrics ? this.metrics.observe(candidates, observer) : observer;
    return new RoutedModel(candidates, this.services, tracingEnabled() ? tracedAttempts(measured) : measured);
  }

  /**
   * Synchronous on the common path (provider up, circuit closed, no provider rate limit), so the provider request
   * leaves in the same turn of the event loop as the run's first Redis write; Redis is asked only to probe a
   * half-open circuit or to count a provider's rate limit.
   */
  private gate(c: RouteCandidate): Gate | Promise<Gate> {
    const provider = this.providers.get(c.provider);
    const limits = provider?.rate_limit;
    const limited = !!limits && !!(limits.requests_per_minute || limits.tokens_per_minute);
    if (provider?.enabled && provider.type === 'openai-compatible' && !limited && !this.switches.isDisabled(c.provider) && this.health.isUp(c.provider) && this.breakers.view(c.provider).state === 'closed') {
      return OPEN_GATE;
    }
    return this.fullGate(c);
  }

  private async fullGate(c: RouteCandidate): Promise<Gate> {
    const provider = this.providers.get(c.provider);
    if (!provider?.enabled) return { skip: 'the provider is disabled' };
    if (this.switches.isDisabled(c.provider)) return { skip: 'an admin switched it off' };
    if (provider.type === 'llama-cpp') {
      const file = provider.models.find((m) => m.name === c.model)?.file;
      if (!file) return { skip: `no model \`${c.model}\` in this provider` };
      if (!this.fileExists(file)) {
        // Not worth another attempt: the error says how to get the file (by its manifest name).
        const error = await missingModelFileError(c.provider, c.model, file);
        return { skip: `its model file is missing (${file})`, error };
      }
    } else if (!this.health.isUp(c.provider)) {
      return { skip: `its server is down (${this.health.probe(c.provider)?.error ?? 'health probe failed'})` };
    }
    const admission = await this.breakers.admit(c.provider, provider.timeout_ms);
    if (admission === 'skip') {
      const until = this.breakers.view(c.provider).openUntil;
      return { skip: 'its circuit is open', ...(until ? { retryAfterMs: Math.max(0, until - Date.now()) } : {}) };
    }
    const limits = provider.rate_limit;
    if (limits && (limits.requests_per_minute || limits.tokens_per_minute)) {
      const decision = await this.limits
        .take(`provider:${c.provider}`, limits.requests_per_minute ?? [], limits.tokens_per_minute ?? [])
        .catch(() => null);
      if (decision && !decision.allowed) {
        this.metrics?.providerRateLimited(c.provider);
        return { skip: `it is over its rate limit (${decision.window.label} ${decision.kind})`, retryAfterMs: decision.resetMs };
      }
    }
    return { skip: null, probe: admission === 'probe' };
  }

  private fileExists(file: string): boolean {
    const now = Date.now();
    const known = this.fileChecks.get(file);
    if (known && now - known.at < 2000) return known.exists;
    const exists = existsSync(file);
    this.fileChecks.set(file, { exists, at: now });
    return exists;
  }

  private continuation(c: RouteCandidate): 'prefill' | 'instruct' {
    const provider = this.providers.get(c.provider);
    // A local model continues a trailing assistant message exactly: its chat template is applied by us.
    if (!provider || provider.type === 'llama-cpp') return 'prefill';
    return providerTraits(provider).continuation;
  }

  private succeeded(c: RouteCandidate, usage: Usage, probe: boolean): void {
    if (probe || this.breakers.view(c.provider).state !== 'closed') void this.breakers.success(c.provider);
    const tokens = this.providers.get(c.provider)?.rate_limit?.tokens_per_minute;
    if (tokens) this.limits.addTokens(`provider:${c.provider}`, tokens, usage.total_tokens).catch(() => undefined);
  }

  private failed(c: RouteCandidate, error: ProviderError): void {
    const pause = error.details.status === 429 ? (error.details.retryAfterMs ?? 0) : 0;
    void this.breakers.failure(c.provider, pause);
  }
}
