import { type ChatRunJob, ModelCatalog, type SwitchboardConfig } from '@switchboard/contracts';
import type { Database } from '@switchboard/db';
import {
  assertHandlers,
  connectRedis,
  createRedis,
  jobCatalog,
  type JobName,
  listenForCancels,
  redisKeys,
} from '@switchboard/queue';
import { type Job, Worker } from 'bullmq';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { processChatRun, WORKER_SHUTDOWN } from './chat-run.processor.js';
import { ProviderRegistry } from './provider-registry.js';
import { RunRecorder } from './run-recorder.js';

export interface WorkerOptions {
  config: SwitchboardConfig;
  /** Null runs without persistence (benchmarks of the bare queue path); normally the shared database. */
  db: Database | null;
  logger: Logger;
  /** Health/metrics port; 0 for a free one, null for none. Default config.server.worker_port. */
  port?: number | null;
}

export interface SwitchboardWorker {
  /** Health/metrics URL, when listening. */
  url: string | null;
  activeRuns(): number;
  /** Takes no new jobs, lets running ones finish for up to `graceMs`, then hands the rest back to the queue. */
  close(graceMs?: number): Promise<void>;
}

type Handler = (job: Job, signal?: AbortSignal) => Promise<void>;

export async function startWorker(options: WorkerOptions): Promise<SwitchboardWorker> {
  const { config, logger } = options;
  const keys = redisKeys(config.redis.prefix);
  const redis = createRedis(config.redis.url, 'worker');
  const sub = createRedis(config.redis.url, 'worker-sub');
  await connectRedis(redis, config.redis.url);
  await connectRedis(sub, config.redis.url);

  const registry = new ProviderRegistry(config, logger);
  const catalog = new ModelCatalog(config);
  const active = new Map<string, AbortController>();
  const recorder = options.db ? new RunRecorder(options.db) : null;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'switchboard_worker_' });
  const processed = new Counter({ name: 'switchboard_worker_jobs_total', help: 'Jobs processed', labelNames: ['name', 'outcome'], registers: [metrics] });
  new Gauge({ name: 'switchboard_worker_active_runs', help: 'Runs in progress', registers: [metrics], collect() { this.set(active.size); } });

  const chatDeps = { config, catalog, registry, recorder, redis, keys, logger, active };
  const handlers: Record<JobName, Handler> = {
    'run.chat': (job, signal) => processChatRun(chatDeps, job as Job<ChatRunJob>, signal),
  };
  assertHandlers(handlers);

  const stopCancels = await listenForCancels(sub, keys, (runId, reason) => {
    const controller = active.get(runId);
    if (controller) {
      logger.info({ runId, reason }, 'cancelling run');
      controller.abort(reason);
    }
  });

  const workers = [...new Set(Object.values(jobCatalog).map((j) => j.queue))].map(
    (queue) =>
      new Worker(
        queue,
        async (job, _token, signal) => {
          const handler = handlers[job.name as JobName];
          if (!handler) throw new Error(`no handler for job ${job.name}`);
          try {
            await handler(job, signal);
            processed.inc({ name: job.name, outcome: 'ok' });
          } catch (error) {
            processed.inc({ name: job.name, outcome: 'error' });
            throw error;
          }
        },
        {
          connection: createRedis(config.redis.url, `worker-${queue}`, { enableAutoPipelining: false }),
          prefix: keys.bullPrefix(),
          concurrency: queue === 'runs' ? config.queue.concurrency : 1,
          lockDuration: config.queue.lock_ms,
          stalledInterval: config.queue.stalled_interval_ms,
          maxStalledCount: Math.max(1, config.queue.attempts - 1),
        },
      ),
  );
  for (const w of workers) w.on('error', (error) => logger.error({ err: error }, 'worker error'));

  let server: Server | null = null;
  let url: string | null = null;
  const port = options.port === undefined ? config.server.worker_port : options.port;
  if (port !== null) {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      if (path === '/readyz') {
        const ok = redis.status === 'ready' && workers.every((w) => w.isRunning());
        return void res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', redis: redis.status, active: active.size }));
      }
      if (path === '/metrics') {
        metrics.metrics().then(
          (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, config.server.host, () => resolve());
    });
    url = `http://${config.server.host}:${(server.address() as AddressInfo).port}`;
  }
  logger.info({ url, concurrency: config.queue.concurrency }, 'worker started');

  return {
    url,
    activeRuns: () => active.size,
    async close(graceMs = config.server.shutdown_grace_ms) {
      // Stop taking jobs, give running ones the grace period, then abort what is left: an aborted job's lock
      // lapses and BullMQ's stalled check hands it to another worker.
      await Promise.all(workers.map((w) => w.pause(true)));
      const deadline = Date.now() + graceMs;
      while (active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const w of workers) w.cancelAllJobs(WORKER_SHUTDOWN);
      await Promise.all(workers.map((w) => w.close(true)));
      await stopCancels();
      await registry.close();
      server?.close();
      redis.disconnect();
      sub.disconnect();
    },
  };
}
