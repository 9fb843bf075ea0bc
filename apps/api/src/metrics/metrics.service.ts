import { metricsRegistry } from '@switchboard/config';
import { Counter, Histogram } from 'prom-client';

/**
 * Prometheus metrics of one api instance (the scheme of metricsRegistry: `switchboard_*`, labelled app="api").
 * Routes are labelled by their template (`/api/agents/:id`) to keep the label set bounded.
 */
export class MetricsService {
  private readonly registry = metricsRegistry('api');
  private readonly requests = new Counter({
    name: 'switchboard_http_requests_total',
    help: 'HTTP requests served, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  get contentType(): string {
    return this.registry.contentType;
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
