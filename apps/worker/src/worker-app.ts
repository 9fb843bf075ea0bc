import { type BenchmarkJob, type ChatRunJob, ModelCatalog, type ModelDownloadJob, type SwitchboardConfig } from '@switchboard/contracts';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { extractTrace, metricsRegistry, startSpan, withSpan } from '@switchboard/config';
import { withDefaultLocalModel } from '@switchboard/providers';
import { AgentDirectory, type Database, PipelineDirectory } from '@switchboard/db';
import {
  assertHandlers,
  CLIENT_DISCONNECTED,
  connectRedis,
  InlineRunLedger,
  createRedis,
  jobCatalog,
  type JobName,
  listenForCancels,
  ModelDownloads,
  ModelNotifier,
  redisKeys,
  RunNotifier,
  RunQueue,
  RunRecordStream,
} from '@switchboard/queue';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { type ChatRunDeps, processChatRun, WORKER_SHUTDOWN } from './chat-run.processor.js';
import { ModelRouter, ProviderRegistry, ResponseCache } from '@switchboard/runs';
import { RunLiveness } from './run-liveness.js';
import { RunRecorder } from './run-recorder.js';
import { RecordIntake } from './record-intake.js';
import { endFailedJob, scanStaleRuns, type StaleRunDeps, takeOverInlineRuns } from './stale-runs.js';
import { processModelDownload } from './model-download.processor.js';
import { processBenchmark } from './benchmark.processor.js';

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
  const backgrounded = new Set<string>();
  const recorder = options.db ? new RunRecorder(options.db, logger) : null;
  const metrics = metricsRegistry('worker');
  const processed = new Counter({ name: 'switchboard_jobs_total', help: 'Jobs processed, by job name and outcome', labelNames: ['name', 'outcome'], registers: [metrics] });
  new Gauge({ name: 'switchboard_active_runs', help: 'Runs in progress on this worker', registers: [metrics], collect() { this.set(active.size); } });

  // BullMQ leaves connections it was handed open on close: these are ours to disconnect.
  const connections: ReturnType<typeof createRedis>[] = [];
  const owned = (c: ReturnType<typeof createRedis>) => (connections.push(c), c);
  const liveness = options.db ? new RunLiveness(options.db, config.queue.heartbeat_ms, logger) : null;
  const maxStalledCount = Math.max(1, config.queue.attempts - 1);
  const queueOptions = { connection: redis, prefix: keys.bullPrefix(), skipWaitingForReady: true };
  const runQueue = new RunQueue(redis, keys, config.queue);
  const runsQueue = runQueue.queue;
  const ledger = new InlineRunLedger(redis, keys, config.queue.lock_ms, config.queue.events_ttl_seconds);
  const maintenanceQueue = new Queue(jobCatalog['watchdog.scan'].queue, queueOptions);
  const notifier = new RunNotifier(redis, keys, logger);
  const staleDeps: StaleRunDeps = {
    notifier,
    db: options.db,
    redis,
    keys,
    runs: runsQueue,
    logger,
    staleAfterMs: config.queue.stale_after_ms,
    maxStalledCount,
    eventsTtlSeconds: config.queue.events_ttl_seconds,
  };

  const router = new ModelRouter({ config, registry, redis, sub, keys, logger, metrics });
  await router.start();
  const cache = new ResponseCache(config.cache, redis, keys);
  const chatDeps: ChatRunDeps = { config, catalog, registry, router, cache, recorder, liveness, redis, keys, logger, active, backgrounded, notifier };
  // The config runs start from: a model selected as the default local one while this worker runs moves first.
  let baseConfig = config;
  // Agents made or edited through the admin API, and pipelines saved through it, reach runs within seconds:
  // each run reads these two fields.
  const agentDirectory = new AgentDirectory(options.db?.agents ?? null, config.agents, logger);
  const pipelineDirectory = new PipelineDirectory(options.db?.pipelines ?? null, config.pipelines, logger);
  const rebuild = (): void => {
    chatDeps.config = { ...baseConfig, agents: [...agentDirectory.current], pipelines: [...pipelineDirectory.current] };
    chatDeps.catalog = new ModelCatalog(chatDeps.config);
  };
  await agentDirectory.start(rebuild);
  await pipelineDirectory.start(rebuild);
  const modelDownloads = new ModelDownloads(redis, keys);
  const downloadsActive = new Map<string, AbortController>();
  const downloadDeps = { config, downloads: modelDownloads, notifier: new ModelNotifier(redis, keys, logger), logger, active: downloadsActive };
  const handlers: Record<JobName, Handler> = {
    'run.chat': (job, signal) => processChatRun(chatDeps, job as Job<ChatRunJob>, signal),
    'watchdog.scan': async () => {
      await scanStaleRuns(staleDeps);
      await takeOverInlineRuns({ ...staleDeps, ledger, runQueue });
    },
    'model.download': (job, signal) => processModelDownload(downloadDeps, job as Job<ModelDownloadJob>, signal),
    'benchmark.run': (job, signal) =>
      processBenchmark({ config: () => chatDeps.config, registry, db: options.db, logger }, job as Job<BenchmarkJob>, signal),
  };
  assertHandlers(handlers);

  const stopCancels = await listenForCancels(sub, keys, (runId, reason) => {
    // Downloads share the channel: their "run id" is the download's job id.
    downloadsActive.get(runId)?.abort(reason);
    const controller = active.get(runId);
    // A run in the background has no client to lose: only its owner or an admin can stop it.
    if (controller && backgrounded.has(runId) && reason === CLIENT_DISCONNECTED) return;
    if (controller) {
      logger.info({ runId, reason }, 'cancelling run');
      controller.abort(reason);
    }
  });

  // `models select` while this worker runs: serve the chosen model as the default from the next run on.
  const selectedChannel = keys.modelSelectedChannel();
  const onSelected = (channel: string, message: string): void => {
    if (channel !== selectedChannel) return;
    const model = (JSON.parse(message) as { model?: unknown }).model;
    const next = typeof model === 'string' ? withDefaultLocalModel(baseConfig, model) : undefined;
    if (!next) return void logger.warn({ model }, 'a model was selected that this worker does not serve; restart it to pick up the config');
    baseConfig = next;
    chatDeps.config = { ...next, agents: chatDeps.config.agents, pipelines: chatDeps.config.pipelines };
    chatDeps.catalog = new ModelCatalog(chatDeps.config);
    logger.info({ model }, 'default local model changed');
  };
  sub.on('message', onSelected);
  await sub.subscribe(selectedChannel);

  const workers = [...new Set(Object.values(jobCatalog).map((j) => j.queue))].map(
    (queue) =>
      new Worker(
        queue,
        async (job, _token, signal) => {
          const handler = handlers[job.name as JobName];
          if (!handler) throw new Error(`no handler for job ${job.name}`);
          const span = jobSpan(job);
          try {
            await withSpan(span, async () => {
              await handler(job, signal);
              // Inside the job's span: with tracing on, the line carries its trace id.
              logger.debug({ job: job.name, jobId: job.id, runId: (job.data as { runId?: string }).runId }, 'job done');
            });
            processed.inc({ name: job.name, outcome: 'ok' });
          } catch (error) {
            processed.inc({ name: job.name, outcome: 'error' });
            span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
            throw error;
          } finally {
            span?.end();
          }
        },
        {
          connection: owned(createRedis(config.redis.url, `worker-${queue}`, { enableAutoPipelining: false })),
          prefix: keys.bullPrefix(),
          concurrency: queue === 'runs' ? config.queue.concurrency : 1,
          lockDuration: config.queue.lock_ms,
          stalledInterval: config.queue.stalled_interval_ms,
          maxStalledCount,
        },
      ),
  );
  for (const w of workers) w.on('error', (error) => logger.error({ err: error }, 'worker error'));

  // Every worker upserts the same scheduler: one repeatable job in Redis however many workers run.
  // Also how soon a run whose gateway died is taken over after its lease (queue.lock_ms) expired.
  const scanEveryMs = Math.max(100, Math.min(Math.floor(config.queue.stale_after_ms / 2), Math.floor(config.queue.lock_ms / 2), 30000));
  const scheduleWatchdog = () =>
    maintenanceQueue.upsertJobScheduler('watchdog.scan', { every: scanEveryMs }, {
      name: 'watchdog.scan',
      data: {},
      opts: { removeOnComplete: true, removeOnFail: 100 },
    });
  await scheduleWatchdog();
  // A Redis that came back without its data has lost the schedule too: put it back on every reconnect.
  redis.on('ready', () => {
    scheduleWatchdog().catch((error: unknown) => logger.warn({ err: error }, 'could not schedule the watchdog'));
  });

  // A job BullMQ fails for good without our processor's say (stalled too often, or shut down on its last
  // attempt) would leave its clients waiting: end its stream. Every worker hears it; the fenced write lets one win.
  const runEvents = new QueueEvents(jobCatalog['run.chat'].queue, {
    connection: owned(createRedis(config.redis.url, 'worker-events', { enableAutoPipelining: false })),
    prefix: keys.bullPrefix(),
  });
  runEvents.on('error', (error) => logger.warn({ err: error }, 'queue events error'));
  runEvents.on('failed', ({ jobId, failedReason }) => {
    endFailedJob(staleDeps, jobId, failedReason).then(
      (ended) => ended && logger.warn({ runId: jobId, failedReason }, 'ended the stream of a run BullMQ gave up on'),
      (error: unknown) => logger.error({ err: error, runId: jobId }, 'could not end a failed run'),
    );
  });

  // Records of the runs gateways ran themselves, written here like this worker's own.
  const intakeConnection = owned(createRedis(config.redis.url, 'worker-records', { enableAutoPipelining: false }));
  await connectRedis(intakeConnection, config.redis.url);
  const intake = new RecordIntake(new RunRecordStream(intakeConnection, keys, `${hostname()}-${process.pid}`), intakeConnection, recorder, logger);

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
      agentDirectory.close();
      pipelineDirectory.close();
      await Promise.all(workers.map((w) => w.pause(true)));
      const deadline = Date.now() + graceMs;
      while (active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const w of workers) w.cancelAllJobs(WORKER_SHUTDOWN);
      await Promise.all(workers.map((w) => w.close(true)));
      await runEvents.close();
      await intake.close();
      await liveness?.close();
      // Records held while the database is down get one more grace period to land before they are given up.
      await recorder?.close(graceMs);
      await Promise.all([runQueue.close(), maintenanceQueue.close(), modelDownloads.close()]);
      await stopCancels();
      sub.off('message', onSelected);
      router.stop();
      await registry.close();
      server?.close();
      redis.disconnect();
      sub.disconnect();
      for (const c of connections) c.disconnect();
    },
  };
}

/**
 * With tracing on, a job is a consumer span under the hop that enqueued it (a run's `trace`), so the run's
 * provider attempts and log lines join the request's trace. The watchdog's scans, every few seconds, are not traced.
 */
function jobSpan(job: Job): ReturnType<typeof startSpan> {
  if (job.name === 'watchdog.scan') return null;
  const data = job.data as { runId?: string; trace?: { traceparent: string; tracestate?: string } };
  return startSpan(
    `process ${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': job.queueName,
        'messaging.operation.type': 'process',
        'messaging.message.id': job.id ?? '',
        'switchboard.attempt': job.attemptsMade + 1,
        ...(data.runId ? { 'switchboard.run_id': data.runId } : {}),
      },
    },
    extractTrace(data.trace),
  );
}
