import type { ProviderCallRow } from '../entities.js';
import { newId } from '../ids.js';
import type { PrismaDb } from '../prisma-client.js';
import type { NewProviderCall, ProviderCallStats, ProviderCallsRepository } from '../repositories.js';
import { toProviderCallRow } from './mappers.js';
import { guard } from './prisma-errors.js';

export class PrismaProviderCallsRepository implements ProviderCallsRepository {
  constructor(private readonly db: PrismaDb) {}

  create(call: NewProviderCall): Promise<ProviderCallRow> {
    return guard(async () => toProviderCallRow(await this.db.providerCall.create({ data: providerCallData([call], new Date())[0]! })), `Run ${call.runId}`);
  }

  async statsSince(since: Date): Promise<ProviderCallStats[]> {
    const where = { createdAt: { gte: since }, outcome: { not: 'skipped' } };
    const [all, errors] = await Promise.all([
      this.db.providerCall.groupBy({ by: ['provider'], where, _count: { _all: true }, _avg: { latencyMs: true, ttftMs: true } }),
      this.db.providerCall.groupBy({ by: ['provider'], where: { ...where, outcome: 'error' }, _count: { _all: true } }),
    ]);
    const errorsBy = new Map(errors.map((e) => [e.provider, e._count._all]));
    return all.map((g) => ({
      provider: g.provider,
      calls: g._count._all,
      errors: errorsBy.get(g.provider) ?? 0,
      avgLatencyMs: g._avg.latencyMs === null ? null : Number(g._avg.latencyMs),
      avgTtftMs: g._avg.ttftMs === null ? null : Number(g._avg.ttftMs),
    }));
  }

  /** In the order they were made (createdAt asc, id asc). */
  async listByRun(runId: string): Promise<ProviderCallRow[]> {
    const rows = await this.db.providerCall.findMany({ where: { runId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map(toProviderCallRow);
  }
}

export function providerCallData(calls: NewProviderCall[], now: Date) {
  return calls.map((c) => ({
    id: c.id ?? newId(),
    runId: c.runId,
    provider: c.provider,
    model: c.model,
    latencyMs: Math.round(c.latencyMs),
    ttftMs: c.ttftMs === null || c.ttftMs === undefined ? null : Math.round(c.ttftMs),
    promptTokens: c.promptTokens,
    completionTokens: c.completionTokens,
    outcome: c.outcome,
    error: c.error ?? null,
    cached: c.cached ?? false,
    createdAt: now,
  }));
}
