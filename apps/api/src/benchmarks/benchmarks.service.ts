import { Inject, Injectable } from '@nestjs/common';
import {
  type BenchmarkDto,
  type CreateBenchmarkRequest,
  ModelCatalog,
  type PageQueryParams,
  type PageResponse,
  type SwitchboardConfig,
} from '@switchboard/contracts';
import { type BenchmarksRepository } from '@switchboard/db';
import { manifestPathIn, readModelManifest, withServedLocalModels } from '@switchboard/providers';
import { API_CONFIG, BENCHMARKS_REPOSITORY } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { type Principal } from '../auth/principal.js';
import { ModelJobsClient } from '../models/model-jobs.client.js';
import { toBenchmarkDto } from './benchmark.mapper.js';

/**
 * Benchmarks are rows (the request, then the results) and `benchmark.run` jobs that a worker runs through its
 * own models. Model ids are checked here against what the platform serves, so a typo is a 400 at once.
 */
@Injectable()
export class BenchmarksService {

  constructor(
    @Inject(BENCHMARKS_REPOSITORY) private readonly benchmarks: BenchmarksRepository,
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    private readonly jobs: ModelJobsClient,
  ) {}

  async create(principal: Principal, body: CreateBenchmarkRequest): Promise<BenchmarkDto> {
    await this.checkModels([
      ...body.models.map((id, i) => ({ id, path: `models.${i}` })),
      ...(body.reference_model ? [{ id: body.reference_model, path: 'reference_model' }] : []),
    ]);
    const row = await this.benchmarks.create({ request: body, apiKeyId: principal.keyId });
    try {
      await this.jobs.use((j) => j.benchmarks.add('benchmark.run', { benchmarkId: row.id }, { jobId: row.id, attempts: 1, removeOnComplete: true, removeOnFail: true }));
    } catch (error) {
      await this.benchmarks.update(row.id, { status: 'failed', error: 'could not queue the benchmark: the queue (Redis) did not answer', finishedAt: new Date() });
      throw error;
    }
    return toBenchmarkDto(row);
  }

  async list(query: PageQueryParams): Promise<PageResponse<BenchmarkDto>> {
    const page = await this.benchmarks.list({ cursor: query.cursor ?? null, limit: query.limit });
    return { data: page.items.map(toBenchmarkDto), next_cursor: page.nextCursor };
  }

  async get(id: string): Promise<BenchmarkDto> {
    const row = await this.benchmarks.get(id);
    if (!row) throw ApiError.notFound('Benchmark', id);
    return toBenchmarkDto(row);
  }

  private async checkModels(ids: { id: string; path: string }[]): Promise<void> {
    const manifest = await readModelManifest(manifestPathIn(this.config.models.dir)).catch(() => null);
    const catalog = new ModelCatalog(withServedLocalModels(this.config, manifest));
    const details = ids.flatMap(({ id, path }) => {
      const route = catalog.resolve(id);
      if (!route) return [{ path, message: `\`${id}\` is not a model this platform serves (see GET /api/models)` }];
      if (route.kind === 'agent' || route.kind === 'pipeline') return [{ path, message: `\`${id}\` is an ${route.kind}; benchmark the models it uses (provider/model)` }];
      return [];
    });
    if (details.length) throw ApiError.badRequest(details.map((d) => d.message).join('; '), details);
  }
}
