import { metricsRegistry } from '@switchboard/config';
import { Counter, Gauge } from 'prom-client';

/**
 * Prometheus metrics of one gateway (the scheme of metricsRegistry: `switchboard_*`, labelled app="gateway").
 * The router's own metrics (attempts, TTFT, latency, tokens, cost, fallbacks, circuits, cache) join the same
 * registry through ModelRouter.
 */
export class GatewayMetrics {
  readonly registry = metricsRegistry('gateway');
  readonly runs = new Counter({ name: 'switchboard_runs_accepted_total', help: 'Runs accepted, by response mode (stream, json)', labelNames: ['mode'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'switchboard_error_responses_total', help: 'Error responses, by HTTP status', labelNames: ['status'], registers: [this.registry] });
  readonly openStreams = new Gauge({ name: 'switchboard_open_streams', help: 'SSE streams open now', registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'switchboard_key_rate_limited_total', help: 'Requests refused by a per-key rate limit (kind: requests, tokens)', labelNames: ['kind'], registers: [this.registry] });
  private readonly subscriptions = new Gauge({ name: 'switchboard_run_subscriptions', help: 'Run event subscriptions open now', registers: [this.registry] });

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(subscriptions: number): Promise<string> {
    this.subscriptions.set(subscriptions);
    return this.registry.metrics();
  }
}
