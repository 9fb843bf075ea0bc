import type { ApiKeyRow, Page, PageQuery } from '../entities.js';
import { newId } from '../ids.js';
import type { PrismaDb, PrismaTx } from '../prisma-client.js';
import type { ApiKeysRepository, NewApiKey } from '../repositories.js';
import { bigIntOrNull, currentPeriodStart, defined, toApiKeyRow } from './mappers.js';
import { after, decodeCursor, pageSize, toPage } from './pagination.js';
import { guard, isRecordNotFound, mapPrismaError } from './prisma-errors.js';

export class PrismaApiKeysRepository implements ApiKeysRepository {
  constructor(private readonly db: PrismaDb) {}

  create(key: NewApiKey): Promise<ApiKeyRow> {
    return guard(async () => {
      const row = await this.db.apiKey.create({
        data: {
          id: key.id ?? newId(),
          name: key.name,
          prefix: key.prefix,
          hash: key.hash,
          role: key.role,
          rateLimitPerMinute: key.rateLimitPerMinute ?? null,
          budgetTokens: bigIntOrNull(key.budgetTokens) ?? null,
          budgetCost: key.budgetCost ?? null,
          budgetPeriod: key.budgetPeriod ?? null,
          spentTokens: bigIntOrNull(key.spentTokens) ?? 0n,
          spentCost: key.spentCost ?? 0,
          periodStartedAt: key.periodStartedAt ?? null,
          createdAt: new Date(),
          lastUsedAt: key.lastUsedAt ?? null,
          revokedAt: key.revokedAt ?? null,
        },
      });
      return toApiKeyRow(row);
    }, 'API key');
  }

  async findByHash(hash: string): Promise<ApiKeyRow | null> {
    const row = await this.db.apiKey.findUnique({ where: { hash } });
    return row && toApiKeyRow(row);
  }

  async get(id: string): Promise<ApiKeyRow | null> {
    const row = await this.db.apiKey.findUnique({ where: { id } });
    return row && toApiKeyRow(row);
  }

  /** Newest first (createdAt desc, id desc). */
  async list(page: PageQuery): Promise<Page<ApiKeyRow>> {
    const limit = pageSize(page);
    const rows = await this.db.apiKey.findMany({
      where: after('createdAt', decodeCursor('k', page.cursor), 'desc'),
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage('k', rows, limit, (r) => ({ at: r.createdAt, id: r.id }), (r) => toApiKeyRow(r));
  }

  async update(id: string, patch: Partial<Omit<ApiKeyRow, 'id' | 'createdAt' | 'hash'>>): Promise<ApiKeyRow | null> {
    const { budgetTokens, spentTokens, ...rest } = patch;
    try {
      const row = await this.db.apiKey.update({
        where: { id },
        data: defined({ ...rest, budgetTokens: bigIntOrNull(budgetTokens), spentTokens: bigIntOrNull(spentTokens) ?? undefined }),
      });
      return toApiKeyRow(row);
    } catch (error) {
      if (isRecordNotFound(error)) return null;
      throw mapPrismaError(error, 'API key');
    }
  }

  addSpend(id: string, tokens: number, cost: number): Promise<void> {
    return addSpend(this.db, id, tokens, cost);
  }

  async touch(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.apiKey.updateMany({ where: { id: { in: [...ids] } }, data: { lastUsedAt: at } });
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.db.apiKey.deleteMany({ where: { id } });
    return count > 0;
  }

  count(): Promise<number> {
    return this.db.apiKey.count();
  }
}

/** Spend to add to one key. */
export interface Spend {
  tokens: number;
  cost: number;
}

/**
 * Adds spend with single-statement increments, so concurrent runs never lose an update. When the key has a
 * budget period and its period is over, the first write of the new period resets the counters instead; the
 * conditions on periodStartedAt make that race-free (a loser of the reset race retries as an increment).
 * A key that no longer exists is ignored: losing a deleted key's spend must not fail a run.
 */
export function addSpend(db: PrismaDb | PrismaTx, id: string, tokens: number, cost: number): Promise<void> {
  return addSpends(db, new Map([[id, { tokens, cost }]]));
}

/**
 * addSpend for several keys: one read of their budget periods, then the writes in sorted key order, so two
 * transactions that touch the same keys lock them in the same order and queue instead of deadlocking.
 */
export async function addSpends(db: PrismaDb | PrismaTx, spends: ReadonlyMap<string, Spend>): Promise<void> {
  if (spends.size === 0) return;
  const ids = [...spends.keys()].sort();
  const keys = await db.apiKey.findMany({ where: { id: { in: ids } }, select: { id: true, budgetPeriod: true } });
  const periods = new Map(keys.map((k) => [k.id, k.budgetPeriod]));
  for (const id of ids) {
    const spend = spends.get(id);
    if (!spend || !periods.has(id)) continue;
    await incrementSpend(db, id, periods.get(id) ?? null, spend);
  }
}

async function incrementSpend(db: PrismaDb | PrismaTx, id: string, budgetPeriod: string | null, { tokens, cost }: Spend): Promise<void> {
  const increment = { spentTokens: { increment: BigInt(Math.round(tokens)) }, spentCost: { increment: cost } };
  const period = budgetPeriod === 'day' || budgetPeriod === 'month' ? budgetPeriod : null;
  if (!period) {
    await db.apiKey.updateMany({ where: { id }, data: increment });
    return;
  }
  const start = currentPeriodStart(period);
  for (let attempt = 0; attempt < 5; attempt++) {
    const inPeriod = await db.apiKey.updateMany({ where: { id, periodStartedAt: { gte: start } }, data: increment });
    if (inPeriod.count > 0) return;
    const reset = await db.apiKey.updateMany({
      where: { id, OR: [{ periodStartedAt: null }, { periodStartedAt: { lt: start } }] },
      data: { spentTokens: BigInt(Math.round(tokens)), spentCost: cost, periodStartedAt: start },
    });
    if (reset.count > 0) return;
  }
}
