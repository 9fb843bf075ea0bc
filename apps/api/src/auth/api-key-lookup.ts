import { Inject, Injectable } from '@nestjs/common';
import { type ApiKeyRow, type ApiKeysRepository } from '@switchboard/db';
import { type Logger } from 'pino';
import { API_KEYS_REPOSITORY, LOGGER } from '../api.tokens.js';
import { TtlCache } from '../common/ttl-cache.js';

/**
 * Cached reads of the API keys table for authentication, so a request costs no database round trip.
 * Changes made through this process invalidate at once; changes made by another process show within the TTL.
 */
const CACHE_TTL_MS = 10_000;
const MAX_CACHED_KEYS = 10_000;

@Injectable()
export class ApiKeyLookup {
  /** By sha256; `null` remembers an unknown hash so repeated bad keys do not reach the database either. */
  private readonly byHash = new TtlCache<string, ApiKeyRow | null>(CACHE_TTL_MS, MAX_CACHED_KEYS);
  private readonly keyCount = new TtlCache<'count', number>(CACHE_TTL_MS, 1);

  constructor(
    @Inject(API_KEYS_REPOSITORY) private readonly keys: ApiKeysRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async findByHash(hash: string): Promise<ApiKeyRow | null> {
    const cached = this.byHash.get(hash);
    if (cached) return cached.value;
    const row = await this.keys.findByHash(hash);
    this.byHash.set(hash, row);
    // Recorded once per cache period rather than per request, and off the request's path.
    if (row && !row.revokedAt) {
      this.keys.update(row.id, { lastUsedAt: new Date() }).catch((err: unknown) => {
        this.logger.warn({ err, keyId: row.id }, 'could not record the key use');
      });
    }
    return row;
  }

  /** Whether any key exists in the database (revoked ones count: revoking every key does not open the install). */
  async anyKeys(): Promise<boolean> {
    const cached = this.keyCount.get('count');
    if (cached) return cached.value > 0;
    const count = await this.keys.count();
    this.keyCount.set('count', count);
    return count > 0;
  }

  /** After a key was created or revoked here. */
  invalidate(hash: string): void {
    this.byHash.delete(hash);
    this.keyCount.clear();
  }
}
