import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { switchboardConfigSchema, type SwitchboardConfigInput } from '@switchboard/contracts';
import { connectRedis, createRedis, type Redis, redisKeys } from '@switchboard/queue';
import { deleteKeysUnder, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ModelRouter, ProviderRegistry, type RouteAttempt } from '../src/index.js';

/**
 * The router's shared state on real Redis and real HTTP: circuits across two routers (two processes' worth),
 * health probes, provider rate limits and missing model files as reasons to skip a target.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });
const connections: Redis[] = [];
const routers: ModelRouter[] = [];
/** Every test's Redis prefix, for the clean-up (circuit state such as `cb:<name>:tripped` has no expiry). */
const prefixes = new Set<string>();
let good: FakeUpstream;
let bad: FakeUpstream;
let stopped: FakeUpstream;

async function connection(name: string): Promise<Redis> {
  const c = createRedis(url, name);
  await connectRedis(c, url);
  connections.push(c);
  return c;
}

async function router(input: SwitchboardConfigInput, prefix: string, healthChecks = false, metrics?: Registry): Promise<ModelRouter> {
  const config = switchboardConfigSchema.parse(input);
  prefixes.add(prefix);
  const r = new ModelRouter({
    config,
    registry: new ProviderRegistry(config, logger),
    redis: await connection('cmd'),
    sub: await connection('sub'),
    keys: redisKeys(prefix),
    logger,
    healthChecks,
    ...(metrics ? { metrics } : {}),
  });
  await r.start();
  routers.push(r);
  return r;
}

async function ask(r: ModelRouter, candidates: { provider: string; model: string }[]): Promise<{ text: string; attempts: RouteAttempt[]; error?: string }> {
  const attempts: RouteAttempt[] = [];
  const { stream } = await r.model(candidates, { attempt: (a) => void attempts.push(a) }).doStream({ messages: [{ role: 'user', content: 'hi' }] });
  let text = '';
  for await (const part of stream) {
    if (part.type === 'text-delta') text += part.delta;
    if (part.type === 'error') return { text, attempts, error: part.error.message };
  }
  return { text, attempts };
}

const outcomes = (attempts: RouteAttempt[]): string[] => attempts.map((a) => `${a.provider}:${a.outcome}`);

beforeAll(async () => {
  good = await startFakeUpstream({ reply: { type: 'completion', text: 'fine answer' } });
  bad = await startFakeUpstream({ reply: { type: 'http-error', status: 500, message: 'down' } });
  stopped = await startFakeUpstream({});
});

afterAll(async () => {
  for (const r of routers) r.stop();
  for (const prefix of prefixes) await deleteKeysUnder(connections[0]!, prefix);
  for (const c of connections) c.disconnect();
  await Promise.all([good.close(), bad.close(), stopped.close().catch(() => undefined)]);
});

describe('circuit breakers shared through Redis', () => {
  it('open on one router after failure_threshold failures, are skipped by another, then let one probe through', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const config: SwitchboardConfigInput = {
      providers: [
        { name: 'bad', type: 'openai-compatible', base_url: bad.url, models: ['m'], circuit_breaker: { failure_threshold: 2, cooldown_ms: 300 } },
        { name: 'good', type: 'openai-compatible', base_url: good.url, models: ['m'] },
      ],
      auto_pick: { max_retries: 0 },
    };
    const a = await router(config, prefix);
    const b = await router(config, prefix);
    const both = [{ provider: 'bad', model: 'm' }, { provider: 'good', model: 'm' }];
    expect(outcomes((await ask(a, both)).attempts)).toEqual(['bad:error', 'good:ok']);
    // The failure is recorded off the call's path: the next call waits for it to land.
    for (let i = 0; i < 50 && (await connections[0]!.get(`${prefix}:cb:bad:fails`)) !== '1'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(outcomes((await ask(a, both)).attempts)).toEqual(['bad:error', 'good:ok']);
    // The second failure opened it; the other router hears of it on the channel.
    for (let i = 0; i < 50 && b.breakers.view('bad').state !== 'open'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(b.breakers.view('bad').state).toBe('open');
    const before = bad.requests.length;
    const skipped = await ask(b, both);
    expect(outcomes(skipped.attempts)).toEqual(['bad:skipped', 'good:ok']);
    expect(skipped.attempts[0]!.error).toMatch(/circuit is open/);
    expect(bad.requests.length).toBe(before);
    // After the cooldown exactly one caller probes; the others still skip while the probe is out.
    await new Promise((r) => setTimeout(r, 350));
    expect(b.breakers.view('bad').state).toBe('half-open');
    const admissions = await Promise.all([a.breakers.admit('bad', 5000), b.breakers.admit('bad', 5000), b.breakers.admit('bad', 5000)]);
    expect(admissions.filter((x) => x === 'probe')).toHaveLength(1);
    expect(admissions.filter((x) => x === 'skip')).toHaveLength(2);
  });

  it('a probe that answers closes the circuit for every router', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const config: SwitchboardConfigInput = {
      providers: [{ name: 'flaky', type: 'openai-compatible', base_url: good.url, models: ['m'], circuit_breaker: { failure_threshold: 1, cooldown_ms: 100 } }],
    };
    const a = await router(config, prefix);
    const b = await router(config, prefix);
    await a.breakers.failure('flaky');
    expect(a.breakers.view('flaky').state).toBe('open');
    await new Promise((r) => setTimeout(r, 150));
    const probe = await ask(b, [{ provider: 'flaky', model: 'm' }]);
    expect(probe.text).toBe('fine answer');
    for (let i = 0; i < 50 && a.breakers.view('flaky').state !== 'closed'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(a.breakers.view('flaky').state).toBe('closed');
    expect(b.breakers.view('flaky').state).toBe('closed');
  });

  it("a 429's Retry-After opens the circuit for that long at once", async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const limited = await startFakeUpstream({ reply: { type: 'http-error', status: 429, message: 'slow down', retryAfter: '30' } });
    try {
      const r = await router({ providers: [{ name: 'limited', type: 'openai-compatible', base_url: limited.url, models: ['m'] }], auto_pick: { max_retries: 0 } }, prefix);
      const result = await ask(r, [{ provider: 'limited', model: 'm' }]);
      expect(result.error).toMatch(/slow down|429/);
      // Failures are recorded off the call's path: wait for the state rather than race it.
      for (let i = 0; i < 50 && r.breakers.view('limited').state !== 'open'; i++) await new Promise((res) => setTimeout(res, 20));
      const view = r.breakers.view('limited');
      expect(view.state).toBe('open');
      expect(view.openUntil! - Date.now()).toBeGreaterThan(25_000);
    } finally {
      await limited.close();
    }
  });
});

describe('reasons to skip a target', () => {
  it('a local server whose health probe fails is skipped before any request is sent to it', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const deadUrl = stopped.url;
    await stopped.close();
    const r = await router(
      {
        providers: [
          { name: 'ollama', type: 'openai-compatible', preset: 'ollama', base_url: deadUrl, models: ['m'] },
          // A llama.cpp server on a base_url is probed when asked to; a preset's probe can be turned off.
          { name: 'llamacpp', type: 'openai-compatible', health_check: true, base_url: deadUrl, models: ['m'] },
          { name: 'vllm', type: 'openai-compatible', preset: 'vllm', health_check: false, base_url: deadUrl, models: ['m'] },
          { name: 'good', type: 'openai-compatible', base_url: good.url, models: ['m'] },
        ],
      },
      prefix,
      true,
    );
    expect(r.health.probed).toEqual(['ollama', 'llamacpp']);
    expect(r.health.isUp('llamacpp')).toBe(false);
    expect(r.health.isUp('ollama')).toBe(false);
    const result = await ask(r, [{ provider: 'ollama', model: 'm' }, { provider: 'good', model: 'm' }]);
    expect(outcomes(result.attempts)).toEqual(['ollama:skipped', 'good:ok']);
    expect(result.attempts[0]!.error).toMatch(/server is down/);
  });

  it('auto_pick.timeout_ms: a retry whose wait would end past it is not made, the router moves on', async () => {
    const busy = await startFakeUpstream({ reply: { type: 'http-error', status: 503, message: 'busy', retryAfter: '1' } });
    try {
      const both = [{ provider: 'busy', model: 'm' }, { provider: 'good', model: 'm' }];
      const providers = [
        { name: 'busy', type: 'openai-compatible' as const, base_url: busy.url, models: ['m'], circuit_breaker: { enabled: false } },
        { name: 'good', type: 'openai-compatible' as const, base_url: good.url, models: ['m'] },
      ];
      // Retry-After 1 s fits in 30 s: the same provider is asked again first.
      const patient = await router({ providers, auto_pick: { max_retries: 1, timeout_ms: 30_000 } }, `sbtest-${randomUUID().slice(0, 8)}`);
      expect(outcomes((await ask(patient, both)).attempts)).toEqual(['busy:error', 'busy:error', 'good:ok']);
      expect(busy.requests).toHaveLength(2);
      // It does not fit in 500 ms: no second request to it, the next provider answers.
      const hurried = await router({ providers, auto_pick: { max_retries: 1, timeout_ms: 500 } }, `sbtest-${randomUUID().slice(0, 8)}`);
      expect(outcomes((await ask(hurried, both)).attempts)).toEqual(['busy:error', 'good:ok']);
      expect(busy.requests).toHaveLength(3);
    } finally {
      await busy.close();
    }
  });

  it('a provider over its own rate limit is skipped, not failed, and counted so in the metrics', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const metrics = new Registry();
    const r = await router(
      {
        providers: [
          { name: 'capped', type: 'openai-compatible', base_url: good.url, models: ['m'], rate_limit: { requests_per_minute: '2/hour' } },
          { name: 'good', type: 'openai-compatible', base_url: good.url, models: ['m'] },
        ],
      },
      prefix,
      false,
      metrics,
    );
    const both = [{ provider: 'capped', model: 'm' }, { provider: 'good', model: 'm' }];
    expect(outcomes((await ask(r, both)).attempts)).toEqual(['capped:ok']);
    expect(outcomes((await ask(r, both)).attempts)).toEqual(['capped:ok']);
    const third = await ask(r, both);
    expect(outcomes(third.attempts)).toEqual(['capped:skipped', 'good:ok']);
    expect(third.attempts[0]!.error).toMatch(/rate limit \(2\/hour requests\)/);
    const text = await metrics.metrics();
    expect(text).toContain('switchboard_provider_rate_limited_total{provider="capped"} 1');
    expect(text).toContain('switchboard_provider_attempts_total{provider="capped",model="m",outcome="skipped"} 1');
    expect(text).toContain('switchboard_provider_attempts_total{provider="capped",model="m",outcome="ok"} 2');
    expect(text).toContain('switchboard_fallbacks_total{from="capped",to="good"} 1');
    expect(text).toContain('switchboard_circuit_state{provider="capped"} 0');
    r.metrics!.cacheLookup(true);
    expect(await metrics.metrics()).toContain('switchboard_cache_lookups_total{result="hit"} 1');
  });

  it("a key's token limit refuses once its finished runs' tokens fill the window, and counts requests meanwhile", async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const r = await router({ providers: [] }, prefix);
    // Hour windows: the test must not straddle the start of one.
    const requests = [{ limit: 10, windowMs: 3_600_000, label: '10/hour' }];
    const tokens = [{ limit: 100, windowMs: 3_600_000, label: '100/hour' }];
    const first = await r.limits.take('key:k1', requests, tokens);
    expect(first).toMatchObject({ allowed: true, kind: 'requests', remaining: 9 });
    await r.limits.addTokens('key:k1', tokens, 100);
    const refused = await r.limits.take('key:k1', requests, tokens);
    expect(refused).toMatchObject({ allowed: false, kind: 'tokens', window: { label: '100/hour' } });
    expect(refused!.resetMs).toBeGreaterThan(0);
    // Another key is untouched.
    expect(await r.limits.take('key:k2', requests, tokens)).toMatchObject({ allowed: true, remaining: 9 });
  });

  it('a local model whose file is missing is skipped, and alone it fails with how to get it', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const r = await router(
      {
        providers: [
          { name: 'local', type: 'llama-cpp', models: [{ name: 'gone', file: `/tmp/${randomUUID()}.gguf` }] },
          { name: 'good', type: 'openai-compatible', base_url: good.url, models: ['m'] },
        ],
      },
      prefix,
    );
    const fallback = await ask(r, [{ provider: 'local', model: 'gone' }, { provider: 'good', model: 'm' }]);
    expect(outcomes(fallback.attempts)).toEqual(['local:skipped', 'good:ok']);
    const alone = await ask(r, [{ provider: 'local', model: 'gone' }]);
    // Its own 404 (not worth another attempt), saying where the file should be and how to get one.
    expect(alone.error).toMatch(/model file for "local\/gone" not found at \/tmp\/.*switchboard models download <name>/);
  });
});

describe('runtime provider switches shared through Redis', () => {
  it('a provider an admin switched off is skipped by every router within its refresh, and used again once back on', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const config: SwitchboardConfigInput = {
      providers: [
        { name: 'first', type: 'openai-compatible', base_url: good.url, models: ['m'] },
        { name: 'second', type: 'openai-compatible', base_url: good.url, models: ['m'] },
      ],
      auto_pick: { max_retries: 0 },
    };
    const a = await router(config, prefix);
    const b = await router(config, prefix);
    const both = [{ provider: 'first', model: 'm' }, { provider: 'second', model: 'm' }];
    expect(outcomes((await ask(a, both)).attempts)).toEqual(['first:ok']);
    const key = redisKeys(prefix).disabledProviders();
    await connections[0]!.sadd(key, 'first');
    for (let i = 0; i < 250 && !(a.switches.isDisabled('first') && b.switches.isDisabled('first')); i++) await new Promise((r) => setTimeout(r, 20));
    for (const r of [a, b]) {
      const { attempts } = await ask(r, both);
      expect(outcomes(attempts)).toEqual(['first:skipped', 'second:ok']);
      expect(attempts[0]?.error).toContain('switched it off');
    }
    await connections[0]!.srem(key, 'first');
    for (let i = 0; i < 250 && (a.switches.isDisabled('first') || b.switches.isDisabled('first')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(outcomes((await ask(b, both)).attempts)).toEqual(['first:ok']);
    await connections[0]!.del(key);
  });
});
