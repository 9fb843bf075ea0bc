import type { PipelineRow } from '../entities.js';
import { newId } from '../ids.js';
import type { Prisma } from '../generated/postgresql/client.js';
import type { PrismaDb } from '../prisma-client.js';
import type { NewPipeline, PipelinesRepository } from '../repositories.js';
import { toPipelineRow } from './mappers.js';
import { guard } from './prisma-errors.js';

export class PrismaPipelinesRepository implements PipelinesRepository {
  constructor(private readonly db: PrismaDb) {}

  create(p: NewPipeline): Promise<PipelineRow> {
    const now = new Date();
    return guard(
      async () =>
        toPipelineRow(
          await this.db.pipeline.create({
            data: {
              id: p.id ?? newId(),
              name: p.name,
              description: p.description ?? '',
              stages: p.stages as Prisma.InputJsonValue,
              createdBy: p.createdBy ?? null,
              createdAt: now,
              updatedAt: now,
            },
          }),
        ),
      `Pipeline "${p.name}"`,
    );
  }

  async get(id: string): Promise<PipelineRow | null> {
    const row = await this.db.pipeline.findUnique({ where: { id } });
    return row && toPipelineRow(row);
  }

  async list(): Promise<PipelineRow[]> {
    const rows = await this.db.pipeline.findMany({ orderBy: [{ name: 'asc' }, { id: 'asc' }] });
    return rows.map(toPipelineRow);
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.db.pipeline.deleteMany({ where: { id } });
    return count > 0;
  }
}
