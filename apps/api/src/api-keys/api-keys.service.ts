import { Inject, Injectable } from '@nestjs/common';
import {
  type ApiKeyDto,
  type CreateApiKeyRequest,
  type CreatedApiKeyDto,
  generateApiKey,
  type PageQueryParams,
  type PageResponse,
  type UpdateApiKeyRequest,
} from '@switchboard/contracts';
import { type ApiKeysRepository } from '@switchboard/db';
import { API_KEYS_REPOSITORY } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { AuthService } from '../auth/auth.service.js';
import { toApiKeyDto } from './api-key.mapper.js';

@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(API_KEYS_REPOSITORY) private readonly keys: ApiKeysRepository,
    private readonly auth: AuthService,
  ) {}

  /** The only response that ever carries the secret. */
  async create(request: CreateApiKeyRequest): Promise<CreatedApiKeyDto> {
    // The one key format of the platform (libs/contracts), so gateway, API and CLI accept each other's keys.
    const { secret, prefix, hash } = generateApiKey();
    const row = await this.keys.create({
      name: request.name,
      prefix,
      hash,
      role: request.role,
      rateLimitPerMinute: request.rate_limit_per_minute ?? null,
      budgetTokens: request.budget_tokens ?? null,
      budgetCost: request.budget_cost ?? null,
      budgetPeriod: request.budget_period ?? null,
    });
    this.auth.invalidate(hash);
    return { ...toApiKeyDto(row), key: secret };
  }

  async list(query: PageQueryParams): Promise<PageResponse<ApiKeyDto>> {
    const page = await this.keys.list({ cursor: query.cursor ?? null, limit: query.limit });
    return { data: page.items.map(toApiKeyDto), next_cursor: page.nextCursor };
  }

  /**
   * New limits apply at once in this process and within auth.cache_ttl_ms elsewhere (other processes trust a
   * looked-up key that long). A budget without a period is refused against the key as it would be after the edit.
   */
  async update(id: string, request: UpdateApiKeyRequest): Promise<ApiKeyDto> {
    const existing = await this.keys.get(id);
    if (!existing) throw ApiError.notFound('API key', id);
    const merged = {
      budgetTokens: request.budget_tokens === undefined ? existing.budgetTokens : request.budget_tokens,
      budgetCost: request.budget_cost === undefined ? existing.budgetCost : request.budget_cost,
      budgetPeriod: request.budget_period === undefined ? existing.budgetPeriod : request.budget_period,
    };
    if ((merged.budgetTokens !== null || merged.budgetCost !== null) && merged.budgetPeriod === null) {
      throw ApiError.badRequest('a budget needs budget_period', [{ path: 'budget_period', message: 'a budget needs budget_period' }]);
    }
    const row = await this.keys.update(id, {
      name: request.name,
      rateLimitPerMinute: request.rate_limit_per_minute,
      ...merged,
    });
    if (!row) throw ApiError.notFound('API key', id);
    this.auth.invalidate(row.hash);
    return toApiKeyDto(row);
  }

  /** Revoked keys stay listed (with `revoked_at`) so their spend remains on record; revoking twice is a no-op. */
  async revoke(id: string): Promise<ApiKeyDto> {
    const existing = await this.keys.get(id);
    if (!existing) throw ApiError.notFound('API key', id);
    const row = existing.revokedAt ? existing : await this.keys.update(id, { revokedAt: new Date() });
    if (!row) throw ApiError.notFound('API key', id);
    this.auth.invalidate(row.hash);
    return toApiKeyDto(row);
  }
}
