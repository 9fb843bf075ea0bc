import type { CircuitBreakerConfig, SwitchboardConfig } from '@switchboard/contracts';
import { defineRedisCommand, type Redis, type RedisKeys } from '@switchboard/queue';
import type { Logger } from 'pino';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitView {
  state: CircuitState;
  /** While open: when the cooldown ends (ms since the epoch). */
  openUntil: number | null;
}

/** What an attempt may do: go, go as the one probe of a half-open circuit, or skip the provider. */
export type CircuitAdmission = 'closed' | 'probe' | 'skip';

/**
 * A failure: count it in the window; open the circuit when the threshold is reached, when it was tripped
 * already (a failed probe re-opens), or when upstream asked for a pause (Retry-After). Returns the open time in
 * ms, 0 while it stays closed. KEYS: fails, open, tripped, probe, channel. ARGV: now, threshold, window, cooldown,
 * forced ms, provider.
 */
const FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
local force = tonumber(ARGV[5])
if n >= tonumber(ARGV[2]) or force > 0 or redis.call('EXISTS', KEYS[3]) == 1 then
  local ms = math.max(tonumber(ARGV[4]), force)
  local untilMs = tonumber(ARGV[1]) + ms
  redis.call('SET', KEYS[2], untilMs, 'PX', ms)
  redis.call('SET', KEYS[3], '1')
  redis.call('DEL', KEYS[1], KEYS[4])
  redis.call('PUBLISH', KEYS[5], ARGV[6] .. ' open ' .. untilMs)
  return ms
end
return 0`;

/** A success while tripped and no longer open (the probe answered): close. KEYS: tripped, open, fails, probe, channel. */
const SUCCESS = `
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
  redis.call('PUBLISH', KEYS[5], ARGV[1] .. ' closed 0')
  return 1
end
return 0`;

interface BreakerRedis extends Redis {
  sbCircuitFailure(fails: string, open: string, tripped: string, probe: string, channel: string, ...argv: (string | number)[]): Promise<number>;
  sbCircuitSuccess(tripped: string, open: string, fails: string, probe: string, channel: string, provider: string): Promise<number>;
}

/**
 * One circuit breaker per provider, shared by every gateway and worker through Redis: `failure_threshold`
 * failures within `window_ms` open it (so is a 429 with Retry-After, for that long); while open the provider is
 * skipped for `cooldown_ms`; then one request may probe it (half-open): its success closes the circuit, its
 * failure opens it again.
 *
 * Every process keeps a view of the states, loaded at start and updated by the channel that each change is
 * published on, so the check before an attempt is a Map lookup; only a failure, a probe and a probe's success
 * go to Redis.
 */
export class CircuitBreakers {
  private readonly views = new Map<string, CircuitView>();
  private readonly settings = new Map<string, CircuitBreakerConfig>();
  private readonly redis: BreakerRedis;
  private stopListening: (() => void) | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    config: SwitchboardConfig,
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
  ) {
    for (const p of config.providers) {
      // A provider's own keys override the top-level ones, key by key.
      const own = Object.fromEntries(Object.entries(p.circuit_breaker ?? {}).filter(([, v]) => v !== undefined));
      this.settings.set(p.name, { ...config.circuit_breaker, ...own });
    }
    this.redis = redis as BreakerRedis;
    defineRedisCommand(redis, 'sbCircuitFailure', { numberOfKeys: 5, lua: FAILURE });
    defineRedisCommand(redis, 'sbCircuitSuccess', { numberOfKeys: 5, lua: SUCCESS });
  }

  /** Loads every provider's state and follows changes on `sub` (a connection in subscriber mode). */
  async start(sub: Redis | null): Promise<void> {
    if (sub) {
      const channel = this.keys.circuitChannel();
      const onMessage = (ch: string, message: string): void => {
        if (ch !== channel) return;
        const [provider, state, until] = message.split(' ');
        if (!provider || !this.settings.has(provider)) return;
        this.views.set(provider, state === 'open' ? { state: 'open', openUntil: Number(until) } : { state: 'closed', openUntil: null });
      };
      sub.on('message', onMessage);
      await sub.subscribe(channel);
      this.stopListening = () => {
        sub.off('message', onMessage);
        sub.unsubscribe(channel).catch(() => undefined);
      };
    }
    await this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'could not load circuit states'));
    // A change published while this process's subscription was reconnecting is picked up here.
    this.refreshTimer = setInterval(() => {
      this.refresh().catch(() => undefined);
    }, 5000);
    this.refreshTimer.unref();
  }

  stop(): void {
    clearInterval(this.refreshTimer);
    this.stopListening?.();
  }

  /** Reads every provider's state from Redis. */
  async refresh(): Promise<void> {
    const names = [...this.settings.keys()];
    if (names.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const name of names) {
      const key = this.keys.circuit(name);
      pipeline.get(`${key}:open`);
      pipeline.exists(`${key}:tripped`);
    }
    const results = (await pipeline.exec()) ?? [];
    names.forEach((name, i) => {
      const open = results[i * 2]?.[1] as string | null | undefined;
      const tripped = results[i * 2 + 1]?.[1] as number | undefined;
      this.views.set(name, this.viewOf(open ?? null, tripped === 1));
    });
  }

  private viewOf(open: string | null, tripped: boolean): CircuitView {
    if (open !== null) return { state: 'open', openUntil: Number(open) };
    return tripped ? { state: 'half-open', openUntil: null } : { state: 'closed', openUntil: null };
  }

  /** The provider's state as this process sees it (an open circuit whose cooldown passed is half-open). */
  view(provider: string): CircuitView {
    const v = this.views.get(provider);
    if (!v) return { state: 'closed', openUntil: null };
    if (v.state === 'open' && v.openUntil !== null && v.openUntil <= Date.now()) return { state: 'half-open', openUntil: null };
    return v;
  }

  /** Before an attempt: closed goes; half-open lets exactly one caller across all processes probe. */
  async admit(provider: string, probeMs: number): Promise<CircuitAdmission> {
    if (!this.settings.get(provider)?.enabled) return 'closed';
    const v = this.view(provider);
    if (v.state === 'closed') return 'closed';
    if (v.state === 'open') return 'skip';
    try {
      const got = await this.redis.set(`${this.keys.circuit(provider)}:probe`, '1', 'PX', probeMs, 'NX');
      return got === 'OK' ? 'probe' : 'skip';
    } catch {
      return 'skip';
    }
  }

  /** A failure that says the provider is unwell (not the caller's fault); `pauseMs` from a 429's Retry-After. */
  async failure(provider: string, pauseMs = 0): Promise<void> {
    const s = this.settings.get(provider);
    if (!s?.enabled) return;
    const key = this.keys.circuit(provider);
    const now = Date.now();
    try {
      const openedMs = await this.redis.sbCircuitFailure(
        `${key}:fails`,
        `${key}:open`,
        `${key}:tripped`,
        `${key}:probe`,
        this.keys.circuitChannel(),
        now,
        s.failure_threshold,
        s.window_ms,
        s.cooldown_ms,
        Math.round(pauseMs),
        provider,
      );
      if (openedMs > 0) {
        this.views.set(provider, { state: 'open', openUntil: now + openedMs });
        this.logger.warn({ provider, openMs: openedMs }, 'circuit opened');
      }
    } catch (error) {
      this.logger.warn({ err: error, provider }, 'could not record a provider failure');
    }
  }

  /** A success: only a tripped circuit has anything to do (the probe answered: close it). */
  async success(provider: string): Promise<void> {
    if (!this.settings.get(provider)?.enabled || this.view(provider).state === 'closed') return;
    const key = this.keys.circuit(provider);
    try {
      const closed = await this.redis.sbCircuitSuccess(`${key}:tripped`, `${key}:open`, `${key}:fails`, `${key}:probe`, this.keys.circuitChannel(), provider);
      if (closed === 1) {
        this.views.set(provider, { state: 'closed', openUntil: null });
        this.logger.info({ provider }, 'circuit closed');
      }
    } catch (error) {
      this.logger.warn({ err: error, provider }, 'could not record a provider success');
    }
  }
}
