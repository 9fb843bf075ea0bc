import { type ApiKeyDto } from '@switchboard/contracts';
import { type ApiKeyRow } from '@switchboard/db';

/** Never the hash: a listed key is only its name, prefix, role, limits and dates. */
export function toApiKeyDto(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    rate_limit_per_minute: row.rateLimitPerMinute,
    budget_tokens: row.budgetTokens,
    budget_cost: row.budgetCost,
    budget_period: row.budgetPeriod,
    spent_tokens: row.spentTokens,
    spent_cost: row.spentCost,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}
