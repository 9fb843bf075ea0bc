import { createLogger, loadConfig } from '@switchboard/config';
import { toBenchmarkDto } from '@switchboard/api';
import type { BenchmarkDto, CreateBenchmarkRequest } from '@switchboard/contracts';
import { openDatabase } from '@switchboard/db';
import { ProviderRegistry } from '@switchboard/runs';
import { runBenchmark } from '@switchboard/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModelsCommandContext } from './models-catalog.js';
import type { PlatformClient } from './platform-client.js';
import { formatTable } from './cli-output.js';
import { servedConfig } from './served-config.js';

export interface BenchOptions {
  /** How often a platform's benchmark is polled. Default 1000 ms. */
  pollMs?: number;
}

/**
 * `switchboard bench`: with a platform up, a benchmark job on its worker (POST /api/benchmarks, then polled);
 * without one, the same runner in this process, with the result stored in the database all the same.
 */
export async function benchCommand(request: CreateBenchmarkRequest, ctx: ModelsCommandContext, platform: PlatformClient | null, options: BenchOptions = {}): Promise<BenchmarkDto> {
  const say = (line: string): boolean => ctx.out.write(`${line}\n`);
  let result: BenchmarkDto;
  if (platform) {
    result = await platform.request<BenchmarkDto>('POST', '/api/benchmarks', request);
    say(`Benchmark ${result.id} queued on ${platform.url}; waiting for a worker to run it...`);
    while (result.status === 'queued' || result.status === 'running') {
      await sleep(options.pollMs ?? 1000);
      result = await platform.request<BenchmarkDto>('GET', `/api/benchmarks/${result.id}`);
    }
  } else {
    result = await benchHere(request, ctx);
  }
  ctx.out.write(formatBenchmark(result));
  if (result.status === 'failed') throw new Error(`benchmark ${result.id} failed: ${result.error ?? 'no reason given'}`);
  return result;
}

async function benchHere(request: CreateBenchmarkRequest, ctx: ModelsCommandContext): Promise<BenchmarkDto> {
  const config = loadConfig({ env: ctx.env, cwd: ctx.cwd });
  const logger = createLogger('switchboard-bench', config.log_level === 'info' ? 'warn' : config.log_level);
  const served = await servedConfig(config, logger);
  const db = await openDatabase(config.database.url, { dataDir: config.data_dir });
  const registry = new ProviderRegistry(served, logger);
  try {
    const row = await db.benchmarks.create({ request, status: 'running', startedAt: new Date() });
    ctx.out.write(`Benchmark ${row.id}: running ${request.models.join(', ')} in this process (no platform is up)...\n`);
    try {
      const outcome = await runBenchmark({ config: served, registry }, request);
      return toBenchmarkDto((await db.benchmarks.update(row.id, { status: 'succeeded', ...outcome, finishedAt: new Date() }))!);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return toBenchmarkDto((await db.benchmarks.update(row.id, { status: 'failed', error: message, finishedAt: new Date() }))!);
    }
  } finally {
    await registry.close();
    await db.close();
  }
}

export function formatBenchmark(b: BenchmarkDto): string {
  const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);
  const header = ['model', 'where', 'TTFT p50', 'tok/s', 'latency p50', 'peak RSS', 'tokens in/out', 'cost', 'quality', 'errors'];
  const rows = b.results.map((r) => [
    `${r.model}${r.reference_only ? ' (reference)' : ''}`,
    r.local ? 'local' : 'remote',
    ms(r.ttft_ms?.p50),
    r.tokens_per_second === null ? '-' : String(r.tokens_per_second),
    ms(r.latency_ms?.p50),
    r.peak_rss_bytes === null ? '-' : `${(r.peak_rss_bytes / 1e6).toFixed(0)} MB`,
    `${r.prompt_tokens}/${r.completion_tokens}`,
    String(r.cost),
    r.quality.score === null ? '-' : `${r.quality.score} ${r.quality.method}`,
    `${r.errors}/${r.prompts}`,
  ]);
  const out = [`Benchmark ${b.id} (${b.status}, prompt set ${b.prompt_set}, max_tokens ${b.max_tokens}${b.reference_model ? `, reference ${b.reference_model}` : ''})`, formatTable(header, rows)];
  for (const r of b.results) if (r.error) out.push(`  ${r.model}: ${r.error}`);
  if (b.recommendations.length) out.push('', 'Recommendations:');
  for (const rec of b.recommendations) out.push(`  ${rec.agent}: ${rec.model ?? 'none'}. ${rec.reason}`);
  if (b.error) out.push('', `Error: ${b.error}`);
  return `${out.join('\n')}\n`;
}
