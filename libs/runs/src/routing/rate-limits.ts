import type { RateWindow } from '@switchboard/contracts';
import type { Redis, RedisKeys } from '@switchboard/queue';

/**
 * Checks every window and, when all have room, counts one request in each: atomic, so two gateways never
 * both take the last slot. Token windows are only checked here (a call's tokens are known after it, see
 * addTokens). KEYS: request windows, then token windows. ARGV: number of request windows, number of token
 * windows, then each window's limit and length in ms. Returns {1, index of the tightest request window, its
 * count} or {0, index of the full window, its count}.
 */
const TAKE = `
local nReq = tonumber(ARGV[1])
local nTok = tonumber(ARGV[2])
for k = 1, nReq + nTok do
  local limit = tonumber(ARGV[1 + k * 2])
  local c = tonumber(redis.call('GET', KEYS[k]) or '0')
  if (k <= nReq and c + 1 > limit) or (k > nReq and c >= limit) then return {0, k, c} end
end
local best, bestCount, bestLeft = 0, 0, -1
for k = 1, nReq do
  local limit = tonumber(ARGV[1 + k * 2])
  local c = redis.call('INCR', KEYS[k])
  if c == 1 then redis.call('PEXPIRE', KEYS[k], ARGV[2 + k * 2]) end
  if bestLeft < 0 or limit - c < bestLeft then best, bestCount, bestLeft = k, c, limit - c end
end
return {1, best, bestCount}`;

interface LimitRedis extends Redis {
  sbRateTake(numKeys: number, ...args: (string | number)[]): Promise<[number, number, number]>;
}

/** The window that decided, for the x-ratelimit-* headers and the 429's Retry-After. */
export interface RateDecision {
  allowed: boolean;
  /** Which limit refused (or, when allowed, the tightest request window). */
  kind: 'requests' | 'tokens';
  window: RateWindow;
  remaining: number;
  /** Until this window starts over. */
  resetMs: number;
}

/**
 * Rate limits in fixed windows, in Redis, so every gateway (and, for providers, every worker) counts against
 * the same numbers. Subjects: `key:<api key id>` for clients, `provider:<name>` for providers.
 */
export class RateLimits {
  private readonly redis: LimitRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = redis as LimitRedis;
    if (!this.redis.sbRateTake) redis.defineCommand('sbRateTake', { lua: TAKE });
  }

  /** Takes one request from every request window, if all of them and every token window have room. */
  async take(subject: string, requests: readonly RateWindow[], tokens: readonly RateWindow[] = []): Promise<RateDecision | null> {
    const windows = [...requests, ...tokens];
    if (windows.length === 0) return null;
    const now = Date.now();
    const args: (string | number)[] = [];
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      args.push(this.windowKey(subject, i < requests.length ? 'requests' : 'tokens', w, now));
    }
    args.push(requests.length, tokens.length);
    for (const w of windows) args.push(w.limit, w.windowMs);
    const [allowed, index, count] = await this.redis.sbRateTake(windows.length, ...args);
    const window = windows[index - 1]!;
    const kind = index <= requests.length ? 'requests' : 'tokens';
    return {
      allowed: allowed === 1,
      kind,
      window,
      remaining: Math.max(0, window.limit - count),
      resetMs: window.windowMs - (now % window.windowMs),
    };
  }

  /** Counts a finished call's tokens in every token window of the subject (best effort, not awaited by callers). */
  async addTokens(subject: string, tokens: readonly RateWindow[], count: number): Promise<void> {
    if (tokens.length === 0 || count <= 0) return;
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const w of tokens) {
      const key = this.windowKey(subject, 'tokens', w, now);
      pipeline.incrby(key, count);
      pipeline.pexpire(key, w.windowMs);
    }
    await pipeline.exec();
  }

  private windowKey(subject: string, what: 'requests' | 'tokens', w: RateWindow, now: number): string {
    return this.keys.rateWindow(subject, what, w.windowMs, Math.floor(now / w.windowMs));
  }
}

/** OpenAI's duration format for x-ratelimit-reset-*: `20ms`, `1s`, `6m0s`, `1h2m3s`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
