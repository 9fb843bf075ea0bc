import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectRedis, createRedis, defineRedisCommand, type Redis } from '../src/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const key = `sbtest-${randomUUID().slice(0, 8)}:value`;
let redis: Redis;

type Echo = Redis & { sbTestEcho(value: string): Promise<string>; sbTestOnce(): Promise<string> };

beforeAll(async () => {
  redis = createRedis(url, 'test-commands');
  await connectRedis(redis, url);
  await redis.set(key, 'stored', 'EX', 60);
});

afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
});

describe('defineRedisCommand', () => {
  it('a command defined while an auto-pipeline waits for its tick goes out in it, and the process lives on', async () => {
    // The GET opens an auto-pipeline that runs on the next tick. ioredis copied the connection's commands into
    // it when it was made; without defineRedisCommand's help the echo below is lost and the pipeline's reply
    // handler throws outside any promise (`results[i] is not iterable`), which kills a process.
    const uncaught: unknown[] = [];
    const catcher = (error: unknown) => void uncaught.push(error);
    process.on('uncaughtException', catcher);
    try {
      const get = redis.get(key);
      defineRedisCommand(redis, 'sbTestEcho', { numberOfKeys: 0, lua: 'return ARGV[1]' });
      const echo = (redis as Echo).sbTestEcho('hello');
      const settled = await Promise.allSettled([get, echo]);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the reply handler's nextTick throws come after
      expect({ settled, uncaught: uncaught.map(String) }).toEqual({
        settled: [
          { status: 'fulfilled', value: 'stored' },
          { status: 'fulfilled', value: 'hello' },
        ],
        uncaught: [],
      });
    } finally {
      process.off('uncaughtException', catcher);
    }
  });

  it('defines a command once: a second definition under the same name is ignored', async () => {
    defineRedisCommand(redis, 'sbTestOnce', { numberOfKeys: 0, lua: "return 'first'" });
    defineRedisCommand(redis, 'sbTestOnce', { numberOfKeys: 0, lua: "return 'second'" });
    await expect((redis as Echo).sbTestOnce()).resolves.toBe('first');
  });
});
