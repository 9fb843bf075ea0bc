import { createHash } from 'node:crypto';
import type { CacheConfig, ChatCompletionRequest, FinishReason, Usage } from '@switchboard/contracts';
import { defineRedisCommand, type Redis, type RedisKeys } from '@switchboard/queue';

/** A cached answer: what the client gets again, and who first answered it. */
export interface CachedAnswer {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  provider: string;
  model: string;
  /** ms since the epoch. */
  storedAt: number;
}

/**
 * Stores an entry and evicts: first entries older than the TTL from the index, then the oldest ones beyond
 * max_size. KEYS: entry, index. ARGV: value, ttl ms, now, max size, entry key prefix.
 */
const STORE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[2]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
return 1`;

interface CacheRedis extends Redis {
  sbCacheStore(entry: string, index: string, value: string, ttlMs: number, now: number, maxSize: number): Promise<number>;
}

/**
 * The exact-match response cache (config `cache`), in Redis so every gateway and worker shares it. A key is
 * the hash of the requested model, the messages and every parameter that changes an answer; requests with
 * tools are never cached (their answers depend on what the tools return).
 */
export class ResponseCache {
  private readonly redis: CacheRedis;

  constructor(
    private readonly config: CacheConfig,
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = redis as CacheRedis;
    defineRedisCommand(redis, 'sbCacheStore', { numberOfKeys: 2, lua: STORE });
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** The cache key of a request, or null when such a request is never cached. */
  keyOf(request: ChatCompletionRequest): string | null {
    if (!this.config.enabled || request.tools?.length) return null;
    const r = request;
    const identity = JSON.stringify([
      r.model,
      r.models ?? null,
      r.messages,
      r.max_completion_tokens ?? r.max_tokens ?? null,
      r.temperature ?? null,
      r.top_p ?? null,
      r.stop ?? null,
      r.seed ?? null,
      r.presence_penalty ?? null,
      r.frequency_penalty ?? null,
      r.response_format ?? null,
    ]);
    return createHash('sha256').update(identity).digest('base64url');
  }

  async get(key: string): Promise<CachedAnswer | null> {
    const raw = await this.redis.get(this.keys.cacheEntry(key));
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as CachedAnswer;
    } catch {
      return null;
    }
  }

  async store(key: string, answer: CachedAnswer): Promise<void> {
    await this.redis.sbCacheStore(
      this.keys.cacheEntry(key),
      this.keys.cacheIndex(),
      JSON.stringify(answer),
      this.config.ttl_seconds * 1000,
      Date.now(),
      this.config.max_size,
    );
  }
}
