import type { BenchmarkRow, Page, PageQuery } from '../entities.js';
import { newId } from '../ids.js';
import type { PrismaDb } from '../prisma-client.js';
import type { BenchmarksRepository, NewBenchmark } from '../repositories.js';
import type { Prisma } from '../generated/postgresql/client.js';
import { defined, jsonOrNull, toBenchmarkRow } from './mappers.js';
import { after, decodeCursor, pageSize, toPage } from './pagination.js';
import { guard, isRecordNotFound, mapPrismaError } from './prisma-errors.js';

export class PrismaBenchmarksRepository implements BenchmarksRepository {
  constructor(private readonly db: PrismaDb) {}

  create(b: NewBenchmark): Promise<BenchmarkRow> {
    const now = new Date();
    return guard(
      async () =>
        toBenchmarkRow(
          await this.db.benchmark.create({
            data: {
              id: b.id ?? newId(),
              status: b.status ?? 'queued',
              apiKeyId: b.apiKeyId ?? null,
              request: (b.request ?? {}) as Prisma.InputJsonValue,
              results: jsonOrNull(b.results ?? null),
              recommendations: jsonOrNull(b.recommendations ?? null),
              error: b.error ?? null,
              createdAt: now,
              startedAt: b.startedAt ?? null,
              finishedAt: b.finishedAt ?? null,
              updatedAt: now,
            },
          }),
        ),
      'Benchmark',
    );
  }

  async get(id: string): Promise<BenchmarkRow | null> {
    const row = await this.db.benchmark.findUnique({ where: { id } });
    return row && toBenchmarkRow(row);
  }

  async list(page: PageQuery): Promise<Page<BenchmarkRow>> {
    const limit = pageSize(page);
    const rows = await this.db.benchmark.findMany({
      where: after('createdAt', decodeCursor('b', page.cursor), 'desc'),
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage('b', rows, limit, (r) => ({ at: r.createdAt, id: r.id }), toBenchmarkRow);
  }

  async update(id: string, patch: Partial<Omit<BenchmarkRow, 'id' | 'createdAt' | 'updatedAt'>>): Promise<BenchmarkRow | null> {
    const { request, results, recommendations, ...rest } = patch;
    try {
      const row = await this.db.benchmark.update({
        where: { id },
        data: defined({
          ...rest,
          request: request === undefined || request === null ? undefined : (request as Prisma.InputJsonValue),
          results: jsonOrNull(results),
          recommendations: jsonOrNull(recommendations),
          updatedAt: new Date(),
        }),
      });
      return toBenchmarkRow(row);
    } catch (error) {
      if (isRecordNotFound(error)) return null;
      throw mapPrismaError(error, 'Benchmark');
    }
  }
}
