import type { Usage } from '@switchboard/contracts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CircuitState } from './circuit-breakers.js';
import type { RouteAttempt, RouteCandidate, RouteObserver } from './routed-model.js';

/** What the router's metrics read from the router when scraped, and how they price a call. */
export interface RouteMetricsSources {
  providers: readonly string[];
  circuit(provider: string): CircuitState;
  price(provider: string, model: string, usage: Usage): number;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * The router's Prometheus metrics, in the registry of the app that hosts it (a gateway's inline runs, a worker's
 * queued ones): every provider attempt by outcome, time to first token and latency per provider and model,
 * tokens and cost, fallbacks, circuit states, provider rate-limit skips, cache lookups. Fed by the attempts the
 * router reports anyway (RouteObserver), so a run pays a few counter increments and nothing more.
 */
export class RouteMetrics {
  private readonly attempts: Counter<'provider' | 'model' | 'outcome'>;
  private readonly ttft: Histogram<'provider' | 'model'>;
  private readonly latency: Histogram<'provider' | 'model' | 'outcome'>;
  private readonly tokens: Counter<'provider' | 'model' | 'direction'>;
  private readonly cost: Counter<'provider' | 'model'>;
  private readonly fallbacks: Counter<'from' | 'to'>;
  private readonly rateLimited: Counter<'provider'>;
  private readonly cache: Counter<'result'>;
  private readonly price: RouteMetricsSources['price'];

  constructor(registry: Registry, sources: RouteMetricsSources) {
    const registers = [registry];
    this.attempts = new Counter({
      name: 'switchboard_provider_attempts_total',
      help: 'Provider attempts by outcome (ok, error, aborted, skipped: circuit open, over its rate limit, down, disabled)',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    });
    this.ttft = new Histogram({
      name: 'switchboard_provider_ttft_seconds',
      help: 'Time from a provider request to its first streamed part, per provider and model',
      labelNames: ['provider', 'model'],
      buckets: SECONDS,
      registers,
    });
    this.latency = new Histogram({
      name: 'switchboard_provider_latency_seconds',
      help: 'Time from a provider request to its last part (ok) or its failure (error), per provider and model',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.tokens = new Counter({
      name: 'switchboard_tokens_total',
      help: 'Tokens of answered provider calls (direction: in = prompt, out = completion)',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    });
    this.cost = new Counter({
      name: 'switchboard_cost_usd_total',
      help: "Cost of answered provider calls in USD, from the providers' pricing",
      labelNames: ['provider', 'model'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'switchboard_fallbacks_total',
      help: 'Calls answered (or continued) by another target than their first (from: the first target, to: the one that served)',
      labelNames: ['from', 'to'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'switchboard_provider_rate_limited_total',
      help: 'Targets skipped because their provider was over its own rate limit',
      labelNames: ['provider'],
      registers,
    });
    this.cache = new Counter({
      name: 'switchboard_cache_lookups_total',
      help: 'Response cache lookups (hit, miss)',
      labelNames: ['result'],
      registers,
    });
    new Gauge({
      name: 'switchboard_circuit_state',
      help: 'Circuit breaker per provider as this process sees it (0 closed, 1 half-open, 2 open)',
      labelNames: ['provider'],
      registers,
      collect() {
        for (const provider of sources.providers) this.set({ provider }, CIRCUIT_VALUE[sources.circuit(provider)]);
      },
    });
    this.price = sources.price;
  }

  /** `observer` with this call's attempts and fallbacks counted on the way. */
  observe(candidates: readonly RouteCandidate[], observer: RouteObserver | undefined): RouteObserver {
    const first = candidates[0]!;
    return {
      serving: (candidate) => {
        if (candidate !== first) this.fallbacks.inc({ from: first.provider, to: candidate.provider });
        observer?.serving?.(candidate);
      },
      attempt: (attempt) => {
        this.attempt(attempt);
        observer?.attempt?.(attempt);
      },
    };
  }

  providerRateLimited(provider: string): void {
    this.rateLimited.inc({ provider });
  }

  cacheLookup(hit: boolean): void {
    this.cache.inc({ result: hit ? 'hit' : 'miss' });
  }

  private attempt(a: RouteAttempt): void {
    const { provider, model } = a;
    this.attempts.inc({ provider, model, outcome: a.outcome });
    if (a.outcome === 'skipped' || a.outcome === 'aborted') return;
    this.latency.observe({ provider, model, outcome: a.outcome }, a.latencyMs / 1000);
    if (a.ttftMs !== null) this.ttft.observe({ provider, model }, a.ttftMs / 1000);
    if (a.outcome !== 'ok') return;
    this.tokens.inc({ provider, model, direction: 'in' }, a.usage.prompt_tokens);
    this.tokens.inc({ provider, model, direction: 'out' }, a.usage.completion_tokens);
    const cost = this.price(provider, model, a.usage);
    if (cost > 0) this.cost.inc({ provider, model }, cost);
  }
}
