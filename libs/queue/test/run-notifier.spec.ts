import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunNotification } from '@switchboard/contracts';
import { Redis } from 'ioredis';
import { connectRedis, createRedis, redisKeys, RunNotifier } from '../src/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const notification = (conversationId: string | null): RunNotification => ({
  type: 'run.started',
  runId: randomUUID(),
  conversationId,
  apiKeyId: 'k1',
  status: 'running',
  agent: null,
  at: new Date().toISOString(),
});

/** What the api's adapter subscribes to: every channel under the socket.io key. */
describe('RunNotifier', () => {
  const keys = redisKeys(`sbtest-${randomUUID().slice(0, 8)}`);
  const channels: string[] = [];
  let pub: Redis;
  let sub: Redis;

  beforeAll(async () => {
    pub = createRedis(url, 'test-notifier');
    sub = createRedis(url, 'test-notifier-sub');
    await connectRedis(pub, url);
    await connectRedis(sub, url);
    sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer) => void channels.push(channel.toString()));
    await sub.psubscribe(`${keys.socketIoKey()}#*`);
  });
  afterAll(() => {
    pub?.disconnect();
    sub?.disconnect();
  });

  it('publishes one message per notification under the prefix: to the key room, or to key and conversation rooms at once', async () => {
    expect(keys.socketIoKey()).toBe(`${keys.prefix}:socket.io`);
    const notifier = new RunNotifier(pub, keys);
    await notifier.notify(notification(null));
    await notifier.notify(notification('c1'));
    // notify resolved once Redis ran the PUBLISH; the subscriber's next reply comes after those messages.
    await sub.ping();
    // One room: the adapter's per-room channel. Two rooms: the namespace channel, the rooms inside the message.
    expect(channels).toEqual([`${keys.socketIoKey()}#/#key:k1#`, `${keys.socketIoKey()}#/#`]);
  });

  it('never throws into the caller when Redis does not take the message, and logs it', async () => {
    const port = await closedPort();
    const dead = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const warnings: { obj: object; msg: string }[] = [];
    const notifier = new RunNotifier(dead, keys, { warn: (obj, msg) => void warnings.push({ obj, msg }) });
    const n = notification('c1');
    await expect(notifier.notify(n)).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain('run notification dropped');
    expect(warnings[0]?.obj).toMatchObject({ runId: n.runId, type: 'run.started' });
    dead.disconnect();
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
