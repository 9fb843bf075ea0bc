import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one gateway, on its own registry so several apps can share a process. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly runs = new Counter({ name: 'switchboard_gateway_runs_total', help: 'Runs accepted', labelNames: ['mode'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'switchboard_gateway_errors_total', help: 'Error responses', labelNames: ['status'], registers: [this.registry] });
  readonly openStreams = new Gauge({ name: 'switchboard_gateway_open_streams', help: 'SSE streams open now', registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'switchboard_gateway_rate_limited_total', help: 'Requests refused by a per-key rate limit', labelNames: ['kind'], registers: [this.registry] });
  readonly cache = new Counter({ name: 'switchboard_gateway_cache_lookups_total', help: 'Response cache lookups', labelNames: ['result'], registers: [this.registry] });
  /** 0 closed, 1 half-open, 2 open, as this gateway sees it. */
  readonly circuit = new Gauge({ name: 'switchboard_gateway_circuit_state', help: 'Circuit breaker per provider (0 closed, 1 half-open, 2 open)', labelNames: ['provider'], registers: [this.registry] });
  private readonly subscriptions = new Gauge({ name: 'switchboard_gateway_run_subscriptions', help: 'Run event subscriptions open now', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_gateway_' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(subscriptions: number): Promise<string> {
    this.subscriptions.set(subscriptions);
    return this.registry.metrics();
  }
}
