import { collectDefaultMetrics, Registry } from 'prom-client';

/** The apps that serve `/metrics`. */
export type MetricsApp = 'gateway' | 'worker' | 'api';

/**
 * One app's Prometheus registry, the same naming scheme in every app: every metric is `switchboard_<what>_<unit>`
 * (Node's process metrics too), and every series carries `app` (gateway, worker, api), so dashboards query one
 * name across apps and split by `app` or `instance`. Each app has its own registry rather than prom-client's
 * global one: the all-in-one start and the tests run several apps in one process.
 */
export function metricsRegistry(app: MetricsApp): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  return registry;
}
