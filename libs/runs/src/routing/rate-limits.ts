import type { RateWindow } from '@switchboard/contracts';
import { defineRedisCommand, type Redis, type RedisKeys } from '@switchboard/queue';

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
 * What this process last heard from Redis about a subject's request windows, less what it allowed since:
 * while that leaves a wide margin, a request is allowed at once and counted in Redis behind it.
 */
interface Headroom {
  windows: readonly RateWindow[];
  /** When the first of these windows starts over: from then on, Redis is asked again. */
  until: number;
  /** Requests left in the tightest window, by Redis's last answer minus the takes not yet answered. */
  left: number;
  /** The tightest window, and its limit less the margin kept for the other gateways' traffic. */
  index: number;
  floor: number;
  /** Takes sent to Redis and not yet answered. */
  pending: number;
}

/**
 * Rate limits in fixed windows, in Redis, so every gateway (and, for providers, every worker) counts against
 * the same numbers. Subjects: `key:<api key id>` for clients, `provider:<name>` for providers.
 *
 * Far from a limit, the answer is known before Redis gives it: a subject whose last answer left more than a
 * tenth of its tightest window (and at least 10 requests) is allowed at once, and its request is counted in
 * Redis in the background, so the round trip is off the request's path. Near the limit, and for subjects with
 * token windows (whose counts grow by other processes' finished runs), every request waits for Redis, so the
 * last requests of a window are decided atomically as before. What this costs: other processes' requests
 * within one round trip are not seen in time. The margin absorbs them: each process allows at most a quarter
 * of it ahead of Redis's answers, so up to four processes busy at once cannot take a window past its limit.
 */
export class RateLimits {
  private readonly redis: LimitRedis;
  private readonly headroom = new Map<string, Headroom>();

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = redis as LimitRedis;
    defineRedisCommand(redis, 'sbRateTake', { lua: TAKE });
  }

  /** Takes one request from every request window, if all of them and every token window have room. */
  take(subject: string, requests: readonly RateWindow[], tokens: readonly RateWindow[] = []): Promise<RateDecision | null> {
    if (requests.length + tokens.length === 0) return Promise.resolve(null);
    const now = Date.now();
    let room = tokens.length === 0 ? this.headroom.get(subject) : undefined;
    if (room && (now >= room.until || !sameWindows(room.windows, requests))) room = undefined;
    if (room) room.pending++;
    const taken = this.takeFromRedis(subject, requests, tokens, now);
    // Redis is failing: forget what it said, so the next request waits for it and hears why.
    taken.catch(() => this.headroom.delete(subject));
    // `pending` counts this take: at most `ahead` of them are allowed before Redis has answered them.
    if (!room || room.left - 1 < room.floor || room.pending > aheadOf(room.floor)) return taken;
    room.left--;
    const window = requests[room.index]!;
    return Promise.resolve({ allowed: true, kind: 'requests', window, remaining: room.left, resetMs: window.windowMs - (now % window.windowMs) });
  }

  private async takeFromRedis(subject: string, requests: readonly RateWindow[], tokens: readonly RateWindow[], now: number): Promise<RateDecision> {
    const windows = [...requests, ...tokens];
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
    if (tokens.length === 0) this.heard(subject, requests, now, allowed === 1, index - 1, window.limit - count);
    return {
      allowed: allowed === 1,
      kind,
      window,
      remaining: Math.max(0, window.limit - count),
      resetMs: window.windowMs - (now % window.windowMs),
    };
  }

  /** Keeps Redis's answer about a subject's request windows (taken at `now`), less the takes still unanswered. */
  private heard(subject: string, requests: readonly RateWindow[], now: number, allowed: boolean, index: number, left: number): void {
    const room = this.headroom.get(subject);
    const until = untilOf(requests, now);
    if (room && room.until === until && sameWindows(room.windows, requests)) {
      room.pending = Math.max(0, room.pending - 1);
      // Answers come back in the order the takes went out: this one counts every take before it, and the
      // unanswered ones come off what it says is left.
      room.left = allowed ? left - room.pending : 0;
      room.index = index;
      room.floor = marginOf(requests[index]!.limit);
      return;
    }
    if (this.headroom.size >= MAX_SUBJECTS) this.headroom.delete(this.headroom.keys().next().value!);
    this.headroom.set(subject, { windows: requests, until, left: allowed ? left : 0, index, floor: marginOf(requests[index]!.limit), pending: 0 });
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

/** Subjects whose headroom is remembered (the oldest is forgotten first: it waits for Redis once again). */
const MAX_SUBJECTS = 10_000;

/** Requests kept back from the local decision: a tenth of the window, at least 10. */
function marginOf(limit: number): number {
  return Math.max(10, Math.ceil(limit / 10));
}

/**
 * Requests one process may allow before Redis has answered them: a quarter of the margin (at most 16), so
 * that four processes' unanswered requests together still fit in it.
 */
function aheadOf(floor: number): number {
  return Math.min(16, Math.floor(floor / 4));
}

/** The same limits (a key's own limit comes as a new array on every request). */
function sameWindows(a: readonly RateWindow[], b: readonly RateWindow[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.limit !== b[i]!.limit || a[i]!.windowMs !== b[i]!.windowMs) return false;
  return true;
}

/** When the first of the windows `now` falls in ends (fixed windows: multiples of their length). */
function untilOf(windows: readonly RateWindow[], now: number): number {
  let until = Infinity;
  for (const w of windows) until = Math.min(until, now - (now % w.windowMs) + w.windowMs);
  return until;
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
