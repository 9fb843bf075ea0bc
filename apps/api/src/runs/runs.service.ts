import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { type ChatRunJob, type PageResponse, type RunDto, type RunListQuery, type SwitchboardConfig } from '@switchboard/contracts';
import { type ProviderCallsRepository, type RunRow, type RunsRepository } from '@switchboard/db';
import { publishCancel, redisKeys } from '@switchboard/queue';
import { type RedisPinger } from '../api-deps.js';
import { API_CONFIG, PROVIDER_CALLS_REPOSITORY, REDIS, RUNS_REPOSITORY } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { ownerScope, type Principal } from '../auth/principal.js';
import { toRunDto } from './run.mapper.js';
import { RunQueueClient } from './run-queue.client.js';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
const CANCELLED_MESSAGE = 'The run was cancelled.';

/**
 * Runs belong to the key that started them; a key sees and cancels only its own, admins any. A run no worker
 * holds yet (queued, or waiting for a retry) is taken off the queue here: its terminal `cancelled` event ends
 * every open stream and its row says `cancelled`. A run a worker holds gets the cancel signal: that worker
 * aborts it, writes the terminal event and records the run as cancelled.
 */
@Injectable()
export class RunsService implements OnModuleDestroy {
  private readonly queue: RunQueueClient;

  constructor(
    @Inject(RUNS_REPOSITORY) private readonly runs: RunsRepository,
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    @Inject(PROVIDER_CALLS_REPOSITORY) private readonly calls: ProviderCallsRepository,
    @Optional() @Inject(REDIS) private readonly redis?: RedisPinger,
  ) {
    this.queue = new RunQueueClient(config);
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
  }

  async list(principal: Principal, query: RunListQuery): Promise<PageResponse<RunDto>> {
    const filter = {
      status: query.status as RunRow['status'] | undefined,
      requestedModel: query.agent,
      model: query.model,
      conversationId: query.conversation_id,
      from: query.from,
      to: query.to,
    };
    const page = await this.runs.list(ownerScope(principal), filter, { cursor: query.cursor ?? null, limit: query.limit });
    return { data: page.items.map((row) => toRunDto(row)), next_cursor: page.nextCursor };
  }

  async get(principal: Principal, id: string): Promise<RunDto> {
    const scope = ownerScope(principal);
    const row = await this.runs.get(id, scope);
    if (row) return toRunDto(row, await this.calls.listByRun(id));
    // No row yet: a run still queued, or one a gateway runs itself (its row is written when it ends).
    const job = this.redis?.publish ? await this.queue.find(id).catch(() => null) : null;
    if (!job || (scope !== undefined && job.apiKeyId !== scope)) throw ApiError.notFound('Run', id);
    return toRunDto(rowFromJob(job, 'running'));
  }

  async cancel(principal: Principal, id: string): Promise<RunDto> {
    const scope = ownerScope(principal);
    const row = await this.runs.get(id, scope);
    if (row && FINISHED.has(row.status)) throw ApiError.conflict(`Run ${id} already ended (${row.status})`);
    const redis = this.redis;
    if (!redis?.publish) throw new ApiError(503, 'service_unavailable_error', 'Cancelling needs Redis, and this API runs without it');
    // Without a row, the run is only in the queue (no worker started it yet): its job says whose it is.
    const job = row ? null : await this.queue.find(id);
    if (!row && (!job || (scope !== undefined && job.apiKeyId !== scope))) throw ApiError.notFound('Run', id);

    const state = await this.queue.cancel(id, CANCELLED_MESSAGE);
    if (state === 'cancelled') return toRunDto(await this.recordCancelled(id, row, job));
    if (!row && (state === 'completed' || state === 'failed')) throw ApiError.conflict(`Run ${id} already ended (${state})`);
    const publisher = { publish: (channel: string, message: string) => redis.publish!(channel, message) };
    await publishCancel(publisher, redisKeys(this.config.redis.prefix), id, principal.role === 'admin' ? 'cancelled by an admin' : 'cancelled by its owner');
    return row ? toRunDto(row) : toRunDto(rowFromJob(job!, 'running'));
  }

  private async recordCancelled(id: string, row: RunRow | null, job: ChatRunJob | null): Promise<RunRow> {
    const ended = { status: 'cancelled' as const, error: CANCELLED_MESSAGE, finishedAt: new Date() };
    if (row) return (await this.runs.update(id, ended)) ?? { ...row, ...ended };
    const j = job!;
    return this.runs.create({ id, apiKeyId: j.apiKeyId, requestedModel: j.request.model, mode: 'sync', attempt: 0, ...ended });
  }
}

/** What a run that has no row yet looks like to a client (a worker writes the row within a heartbeat). */
function rowFromJob(job: ChatRunJob, status: RunRow['status']): RunRow {
  const at = new Date(job.created * 1000);
  return {
    id: job.runId,
    conversationId: null,
    agentId: null,
    apiKeyId: job.apiKeyId,
    status,
    mode: 'sync',
    requestedModel: job.request.model,
    provider: null,
    providerModel: null,
    attempt: 1,
    heartbeatAt: null,
    startedAt: null,
    finishedAt: null,
    promptTokens: 0,
    completionTokens: 0,
    cost: 0,
    finishReason: null,
    error: null,
    output: null,
    createdAt: at,
    updatedAt: at,
  };
}
