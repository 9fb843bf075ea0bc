import { Inject, Injectable } from '@nestjs/common';
import { USAGE_DEFAULT_DAYS, type UsageQueryParams, type UsageReportDto, type UsageRowDto } from '@switchboard/contracts';
import { type RunsRepository, type UsageRow } from '@switchboard/db';
import { RUNS_REPOSITORY } from '../api.tokens.js';
import { ownerScope, type Principal } from '../auth/principal.js';

const DAY_MS = 86_400_000;

/** Usage is read from the runs, summed by the database; a key that is not an admin sees only its own runs. */
@Injectable()
export class UsageService {
  constructor(@Inject(RUNS_REPOSITORY) private readonly runs: RunsRepository) {}

  async report(principal: Principal, query: UsageQueryParams): Promise<UsageReportDto> {
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - USAGE_DEFAULT_DAYS * DAY_MS);
    const rows = await this.runs.usage(ownerScope(principal), { from, to, groupBy: query.group_by });
    return { from: from.toISOString(), to: to.toISOString(), group_by: query.group_by, data: rows.map(toUsageRowDto) };
  }
}

function toUsageRowDto(row: UsageRow): UsageRowDto {
  return {
    api_key_id: row.apiKeyId,
    key_name: row.keyName,
    key_prefix: row.keyPrefix,
    model: row.model,
    day: row.day,
    runs: row.runs,
    cached_runs: row.cachedRuns,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    total_tokens: row.promptTokens + row.completionTokens,
    cost: row.cost,
  };
}
