import type { ProviderStatusListDto, QueueOverviewDto } from '@switchboard/contracts';
import { formatTable } from './cli-output.js';
import type { PlatformCommandContext } from './command-context.js';

export interface AppStatus {
  app: string;
  url: string;
  /** /healthz answered 200. */
  alive: boolean;
  /** /readyz answered 200 (its dependencies answer). */
  ready: boolean;
  /** Why not, when it is not. */
  detail: string | null;
}

/**
 * `status`: each app's /healthz and /readyz (the api, the gateway it names, and the worker when
 * SWITCHBOARD_WORKER_URL says where one is: workers serve no route the api could list), the providers'
 * circuits and health, and the queues. Providers and queues need an admin key.
 */
export async function statusCommand(ctx: PlatformCommandContext): Promise<boolean> {
  const { platform, env } = ctx;
  const targets: [string, string][] = [
    ['api', platform.url],
    ['gateway', await platform.gatewayUrl()],
  ];
  const worker = env.SWITCHBOARD_WORKER_URL?.trim();
  if (worker) targets.push(['worker', worker.replace(/\/+$/, '')]);
  const [apps, providers, queues] = await Promise.all([
    Promise.all(targets.map(([app, url]) => probe(app, url))),
    platform.request<ProviderStatusListDto>('GET', '/api/providers'),
    platform.request<QueueOverviewDto>('GET', '/api/queues'),
  ]);
  const ok = apps.every((a) => a.ready);
  ctx.out.result({ ok, apps, providers: providers.data, queues }, () =>
    [
      formatTable(['app', 'url', 'state'], apps.map((a) => [a.app, a.url, a.ready ? 'ready' : a.alive ? `not ready: ${a.detail}` : `down: ${a.detail}`])),
      '',
      formatTable(
        ['provider', 'type', 'enabled', 'circuit', 'health', 'calls 15m', 'errors', 'avg latency'],
        providers.data.map((p) => [
          p.name,
          p.type,
          p.enabled ? 'yes' : p.disabled_at_runtime ? 'off (runtime)' : 'no',
          p.circuit.state,
          p.health ? (p.health.ok ? 'ok' : `failing: ${p.health.error ?? ''}`) : '-',
          String(p.recent.calls),
          String(p.recent.errors),
          p.recent.avg_latency_ms === null ? '-' : `${Math.round(p.recent.avg_latency_ms)} ms`,
        ]),
      ),
      '',
      formatTable(
        ['queue', 'waiting', 'active', 'delayed', 'failed', 'completed'],
        queues.queues.map((q) => [q.name, String(q.waiting + q.prioritized), String(q.active), String(q.delayed), String(q.failed), String(q.completed)]),
      ),
      `active runs ${queues.active_runs} (inline ${queues.inline_runs})`,
    ].join('\n'),
  );
  return ok;
}

async function probe(app: string, url: string): Promise<AppStatus> {
  const get = (route: string): Promise<{ ok: boolean; detail: string | null }> =>
    fetch(`${url}${route}`, { signal: AbortSignal.timeout(3000) }).then(
      async (r) => ({ ok: r.ok, detail: r.ok ? null : await reason(r) }),
      (error: unknown) => ({ ok: false, detail: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error) }),
    );
  const alive = await get('/healthz');
  const ready = alive.ok ? await get('/readyz') : alive;
  return { app, url, alive: alive.ok, ready: ready.ok, detail: ready.detail };
}

async function reason(r: Response): Promise<string> {
  const text = await r.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string }; redis?: string };
    return body.error?.message ?? (body.redis ? `redis ${body.redis}` : `HTTP ${r.status}`);
  } catch {
    return `HTTP ${r.status}`;
  }
}
