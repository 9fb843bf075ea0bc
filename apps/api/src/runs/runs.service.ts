import { Inject, Injectable, Optional } from '@nestjs/common';
import { type RunDto, type SwitchboardConfig } from '@switchboard/contracts';
import { type RunsRepository } from '@switchboard/db';
import { publishCancel, redisKeys } from '@switchboard/queue';
import { type RedisPinger } from '../api-deps.js';
import { API_CONFIG, REDIS, RUNS_REPOSITORY } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { ownerScope, type Principal } from '../auth/principal.js';
import { toRunDto } from './run.mapper.js';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Runs belong to the key that started them; a key sees and cancels only its own, admins any. Cancelling only
 * sends the signal: the worker holding the run aborts it, writes the terminal `cancelled` event (which ends
 * every open stream) and records the run as cancelled.
 */
@Injectable()
export class RunsService {
  constructor(
    @Inject(RUNS_REPOSITORY) private readonly runs: RunsRepository,
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    @Optional() @Inject(REDIS) private readonly redis?: RedisPinger,
  ) {}

  async get(principal: Principal, id: string): Promise<RunDto> {
    const row = await this.runs.get(id, ownerScope(principal));
    if (!row) throw ApiError.notFound('Run', id);
    return toRunDto(row);
  }

  async cancel(principal: Principal, id: string): Promise<RunDto> {
    const row = await this.runs.get(id, ownerScope(principal));
    if (!row) throw ApiError.notFound('Run', id);
    if (FINISHED.has(row.status)) throw ApiError.conflict(`Run ${id} already ended (${row.status})`);
    const redis = this.redis;
    if (!redis?.publish) throw new ApiError(503, 'service_unavailable_error', 'Cancelling needs Redis, and this API runs without it');
    const publisher = { publish: (channel: string, message: string) => redis.publish!(channel, message) };
    await publishCancel(publisher, redisKeys(this.config.redis.prefix), id, principal.role === 'admin' ? 'cancelled by an admin' : 'cancelled by its owner');
    return toRunDto(row);
  }
}
