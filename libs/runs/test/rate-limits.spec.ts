import { afterAll, describe, expect, it } from '@jest/globals';
import type { RateWindow } from '@switchboard/contracts';
import { connectRedis, createRedis, type Redis, redisKeys } from '@switchboard/queue';
import { randomUUID } from 'node:crypto';
import { deleteKeysUnder } from '@switchboard/testing';
import { RateLimits } from '../src/routing/rate-limits.js';

/**
 * Rate limits on real Redis, as two gateways (two connections, two RateLimits) share them: far from a limit a
 * request is allowed before Redis answers and still counted there; near it, Redis decides every request.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
const prefixes = new Set<string>();

async function gateway(prefix: string): Promise<RateLimits> {
  prefixes.add(prefix);
  const c = createRedis(url, `limits-${connections.length}`);
  await connectRedis(c, url);
  connections.push(c);
  return new RateLimits(c, redisKeys(prefix));
}

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeysUnder(connections[0]!, prefix);
  await Promise.all(connections.map((c) => c.quit()));
});

/** True when the decision was there before any I/O could have happened (no Redis reply fits in microtasks). */
async function decidedAtOnce<T>(p: Promise<T>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return settled;
}

// Day windows: a test that straddled the start of a window would count in two (fixed windows start at midnight UTC).
const daily = (limit: number): RateWindow[] => [{ limit, windowMs: 86_400_000, label: `${limit}/day` }];

describe('RateLimits', () => {
  it('allows at once while far from the limit, and Redis still counts every request', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const [a, b] = [await gateway(prefix), await gateway(prefix)];
    // A key's own limit arrives as a new array with every request: the same limits all the same.
    const windows = (): RateWindow[] => daily(1000);
    // The first take waits for Redis: nothing is known yet.
    const first = a.take('key:k', windows());
    expect(await decidedAtOnce(first)).toBe(false);
    expect(await first).toMatchObject({ allowed: true, remaining: 999 });
    // A burst within one turn of the event loop: at most 16 are allowed before Redis answered them, then one
    // waits (and with it the answers to those 16 arrive), and so on.
    const fast: boolean[] = [];
    for (let i = 0; i < 50; i++) {
      const taken = a.take('key:k', windows());
      fast.push(await decidedAtOnce(taken));
      expect(await taken).toMatchObject({ allowed: true });
    }
    expect(fast.filter(Boolean).length).toBeGreaterThanOrEqual(45);
    let run = 0;
    let longestRun = 0;
    for (const atOnce of fast) longestRun = Math.max(longestRun, (run = atOnce ? run + 1 : 0));
    expect(longestRun).toBeLessThanOrEqual(16);
    // The other gateway's take is decided by Redis, which has all 51 (the background takes have landed by then:
    // they went out first on a's connection, and b's answer comes after b's own command).
    await new Promise((r) => setTimeout(r, 50));
    expect(await b.take('key:k', windows())).toMatchObject({ allowed: true, remaining: 1000 - 52 });
  });

  it('lets Redis decide the last requests of a window, so two gateways never allow more than the limit', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const [a, b] = [await gateway(prefix), await gateway(prefix)];
    const windows = daily(30); // the margin is 10: the last 10 (at least) go to Redis
    const decisions = [];
    for (let i = 0; i < 40; i++) decisions.push(await (i % 2 ? b : a).take('key:k', windows));
    expect(decisions.filter((d) => d!.allowed)).toHaveLength(30);
    expect(decisions.slice(30).every((d) => !d!.allowed)).toBe(true);
    const refused = decisions.at(-1)!;
    expect(refused).toMatchObject({ allowed: false, kind: 'requests', remaining: 0 });
    expect(refused.resetMs).toBeGreaterThan(0);
  });

  it('asks Redis every time for a small limit, and for a subject with token windows', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    const a = await gateway(prefix);
    const small = daily(10);
    await a.take('key:small', small);
    expect(await decidedAtOnce(a.take('key:small', small))).toBe(false);
    const requests = daily(1000);
    const tokens = daily(100_000);
    await a.take('key:tokens', requests, tokens);
    expect(await decidedAtOnce(a.take('key:tokens', requests, tokens))).toBe(false);
  });

  it('forgets what Redis said once Redis fails, so the next request hears the failure', async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
    prefixes.add(prefix);
    const c = createRedis(url, 'limits-failing', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await connectRedis(c, url);
    const a = new RateLimits(c, redisKeys(prefix));
    const windows = daily(1000);
    await a.take('key:k', windows);
    c.disconnect();
    // Allowed from what was known; its count in Redis fails behind it.
    expect(await a.take('key:k', windows)).toMatchObject({ allowed: true });
    await new Promise((r) => setTimeout(r, 20));
    await expect(a.take('key:k', windows)).rejects.toThrow();
  });
});
