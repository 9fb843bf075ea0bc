import type { RunStatus } from '@switchboard/contracts';
import type { RunRow } from '../entities.js';
import { newId } from '../ids.js';
import type { PrismaDb } from '../prisma-client.js';
import type { Page, PageQuery } from '../entities.js';
import type { NewRun, RunListFilter, RunsRepository, StartedRun, UsageQuery, UsageRow } from '../repositories.js';
import type { SqlDialect } from './bulk-insert.js';
import { defined, jsonOrNull, toRunRow } from './mappers.js';
import { after, decodeCursor, pageSize, toPage } from './pagination.js';
import { guard, isRecordNotFound, mapPrismaError } from './prisma-errors.js';
import { sumUsage } from './run-usage.js';

/** Statuses in which a worker is expected to heartbeat. */
const LIVE_STATUSES: RunStatus[] = ['running', 'background'];

export class PrismaRunsRepository implements RunsRepository {
  constructor(
    private readonly db: PrismaDb,
    private readonly dialect: SqlDialect,
  ) {}

  create(run: NewRun): Promise<RunRow> {
    return guard(async () => toRunRow(await this.db.run.create({ data: runData(run, new Date()) })), 'Run');
  }

  async get(id: string, ownerKeyId?: string | null): Promise<RunRow | null> {
    const row = await this.db.run.findFirst({ where: { id, ...(ownerKeyId === undefined ? {} : { apiKeyId: ownerKeyId }) } });
    return row && toRunRow(row);
  }

  async update(id: string, patch: Partial<Omit<RunRow, 'id' | 'createdAt' | 'updatedAt'>>): Promise<RunRow | null> {
    const { output, ...rest } = patch;
    try {
      const row = await this.db.run.update({ where: { id }, data: defined({ ...rest, output: jsonOrNull(output), updatedAt: new Date() }) });
      return toRunRow(row);
    } catch (error) {
      if (isRecordNotFound(error)) return null;
      throw mapPrismaError(error, 'Run');
    }
  }

  async heartbeat(id: string, at: Date): Promise<void> {
    await this.db.run.updateMany({ where: { id }, data: { heartbeatAt: at } });
  }

  async heartbeatMany(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.run.updateMany({ where: { id: { in: [...ids] } }, data: { heartbeatAt: at } });
  }

  async markStarted(runs: readonly StartedRun[]): Promise<void> {
    if (runs.length === 0) return;
    const now = new Date();
    const existing = new Set((await this.db.run.findMany({ where: { id: { in: runs.map((r) => r.id) } }, select: { id: true } })).map((r) => r.id));
    const fresh = runs.filter((r) => !existing.has(r.id));
    if (fresh.length) {
      // Another process may insert the same run meanwhile (a retry on another worker): skip, not fail.
      await guard(
        () =>
          this.db.run.createMany({
            data: fresh.map((r) => runData({ ...r, status: 'running', heartbeatAt: r.startedAt }, now)),
            skipDuplicates: true,
          }),
        'Run',
      );
    }
    // Retries: the row exists from an earlier attempt. Rare, so one statement each is fine.
    for (const r of runs.filter((run) => existing.has(run.id))) {
      await this.db.run.updateMany({
        where: { id: r.id, status: { in: ['queued', ...LIVE_STATUSES] } },
        data: { status: 'running', attempt: r.attempt, heartbeatAt: r.startedAt, updatedAt: now },
      });
    }
  }

  /** A live run that never heartbeated counts from its last update (it may have died before the first beat). */
  async findStale(before: Date, limit: number): Promise<RunRow[]> {
    const rows = await this.db.run.findMany({
      where: {
        status: { in: LIVE_STATUSES },
        OR: [{ heartbeatAt: { lt: before } }, { heartbeatAt: null, updatedAt: { lt: before } }],
      },
      orderBy: [{ heartbeatAt: 'asc' }, { id: 'asc' }],
      take: Math.max(1, Math.floor(limit)),
    });
    return rows.map(toRunRow);
  }

  /** Oldest first (createdAt asc, id asc). */
  async listByConversation(conversationId: string): Promise<RunRow[]> {
    const rows = await this.db.run.findMany({ where: { conversationId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map(toRunRow);
  }

  async list(ownerKeyId: string | null | undefined, filter: RunListFilter, page: PageQuery): Promise<Page<RunRow>> {
    const limit = pageSize(page);
    const { status, requestedModel, model, conversationId, from, to } = filter;
    const created = from || to ? { createdAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {};
    const rows = await this.db.run.findMany({
      where: {
        AND: [
          ownerKeyId === undefined ? {} : { apiKeyId: ownerKeyId },
          defined({ status, requestedModel, conversationId }),
          model === undefined ? {} : { OR: [{ requestedModel: model }, servedBy(model)] },
          created,
          after('createdAt', decodeCursor('r', page.cursor), 'desc'),
        ],
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage('r', rows, limit, (r) => ({ at: r.createdAt, id: r.id }), toRunRow);
  }

  usage(ownerKeyId: string | null | undefined, query: UsageQuery): Promise<UsageRow[]> {
    return sumUsage(this.db, this.dialect, ownerKeyId, query);
  }
}

/** `<provider>/<model>` as the columns a run keeps it in (a model name may itself contain slashes). */
function servedBy(model: string): { provider: string; providerModel: string } {
  const slash = model.indexOf('/');
  return slash < 0 ? { provider: model, providerModel: '' } : { provider: model.slice(0, slash), providerModel: model.slice(slash + 1) };
}

export function runData(run: NewRun, now: Date) {
  return {
    id: run.id ?? newId(),
    conversationId: run.conversationId ?? null,
    agentId: run.agentId ?? null,
    apiKeyId: run.apiKeyId ?? null,
    status: run.status ?? 'queued',
    mode: run.mode ?? 'sync',
    requestedModel: run.requestedModel,
    provider: run.provider ?? null,
    providerModel: run.providerModel ?? null,
    attempt: run.attempt ?? 0,
    heartbeatAt: run.heartbeatAt ?? null,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    promptTokens: run.promptTokens ?? 0,
    completionTokens: run.completionTokens ?? 0,
    cost: run.cost ?? 0,
    finishReason: run.finishReason ?? null,
    error: run.error ?? null,
    output: jsonOrNull(run.output ?? null),
    createdAt: run.createdAt ?? now,
    updatedAt: now,
  };
}
