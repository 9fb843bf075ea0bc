import { type BenchmarkJob, benchmarkJobSchema, createBenchmarkRequestSchema, type SwitchboardConfig } from '@switchboard/contracts';
import type { Database } from '@switchboard/db';
import type { ProviderRegistry } from '@switchboard/runs';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { runBenchmark } from './benchmark-run.js';

export interface BenchmarkDeps {
  /** Read at each job: the worker's served config (models selected while it runs included). */
  config: () => SwitchboardConfig;
  registry: ProviderRegistry;
  db: Database | null;
  logger: Logger;
}

/**
 * Runs a `benchmark.run` job: reads the Benchmark row's request, runs it through the worker's models and
 * writes the results (or the error) back. Never retried: a second run would measure a different moment.
 */
export async function processBenchmark(deps: BenchmarkDeps, job: Job<BenchmarkJob>, signal?: AbortSignal): Promise<void> {
  const parsed = benchmarkJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid benchmark.run payload: ${parsed.error.message}`);
  const db = deps.db;
  if (!db) throw new UnrecoverableError('benchmarks need the database (this worker runs without one)');
  const { benchmarkId } = parsed.data;
  const log = deps.logger.child({ jobId: job.id, benchmarkId });
  const row = await db.benchmarks.get(benchmarkId);
  if (!row) throw new UnrecoverableError(`benchmark ${benchmarkId} not found`);
  const request = createBenchmarkRequestSchema.safeParse(row.request);
  if (!request.success) {
    await db.benchmarks.update(benchmarkId, { status: 'failed', error: `invalid request: ${request.error.message}`, finishedAt: new Date() });
    throw new UnrecoverableError('invalid benchmark request');
  }
  await db.benchmarks.update(benchmarkId, { status: 'running', startedAt: new Date() });
  log.info({ models: request.data.models }, 'benchmark started');
  try {
    const outcome = await runBenchmark({ config: deps.config(), registry: deps.registry, ...(signal ? { signal } : {}) }, request.data);
    await db.benchmarks.update(benchmarkId, { status: 'succeeded', results: outcome.results, recommendations: outcome.recommendations, finishedAt: new Date() });
    log.info('benchmark finished');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db.benchmarks.update(benchmarkId, { status: 'failed', error: message, finishedAt: new Date() });
    log.warn({ err: message }, 'benchmark failed');
    throw new UnrecoverableError(message);
  }
}
