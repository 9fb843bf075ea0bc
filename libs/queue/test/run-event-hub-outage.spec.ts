import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEvent } from '@switchboard/contracts';
import { randomUUID } from 'node:crypto';
import { connectRedis, createRedis, type Redis, redisKeys, RedisOutageError, RunEventHub, RunEventWriter, RunLostError } from '../src/index.js';

/**
 * The hub when its Redis connections drop, on the shared Redis: only the hub's own connections are cut
 * (CLIENT KILL by id, or a disconnect), never the server. The e2e suite (e2e/redis-outage) stops a real one.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keys = redisKeys(`sbtest-${randomUUID().slice(0, 8)}`);
const finish: RunEvent = { t: 'finish', reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
let writer: Redis;
const opened: Redis[] = [];

/** A hub over connections of its own; `subId` is its subscriber connection's CLIENT ID. */
async function startHub(graceMs: number): Promise<{ hub: RunEventHub; sub: Redis; cmd: Redis; subId: number }> {
  const sub = createRedis(url, 'test-outage-sub');
  const cmd = createRedis(url, 'test-outage-cmd');
  opened.push(sub, cmd);
  await connectRedis(sub, url);
  await connectRedis(cmd, url);
  const subId = Number(await sub.client('ID'));
  const hub = new RunEventHub(sub, cmd, keys, `test-${randomUUID().slice(0, 8)}`, { outageGraceMs: graceMs });
  await hub.start();
  return { hub, sub, cmd, subId };
}

interface Followed {
  seqs: number[];
  ended: Promise<{ error: unknown; at: number }>;
}

function follow(hub: RunEventHub, runId: string): Followed {
  const seqs: number[] = [];
  const ended = new Promise<{ error: unknown; at: number }>((resolve) => {
    hub.follow(
      runId,
      (seq, event) => {
        seqs.push(seq);
        if (event.t === 'finish') resolve({ error: null, at: Date.now() });
      },
      (error) => resolve({ error, at: Date.now() }),
    );
  });
  return { seqs, ended };
}

beforeAll(async () => {
  writer = createRedis(url, 'test-outage-writer');
  await connectRedis(writer, url);
});

afterAll(async () => {
  const leftovers = await writer.keys(`${keys.prefix}:*`);
  if (leftovers.length) await writer.del(...leftovers);
  // A second disconnect of an ended ioredis client holds the process for its retry delay.
  for (const c of opened) if (c.status !== 'end') c.disconnect();
  writer.disconnect();
});

describe('run event hub: Redis connections lost', () => {
  it('catches up, once its connection is back, what was published while it was away', async () => {
    const { hub, subId } = await startHub(5000);
    const runId = randomUUID();
    await writer.hset(keys.runJob(runId), 'name', 'run.chat'); // the job is alive
    const f = follow(hub, runId);
    const w = new RunEventWriter(writer, keys, runId, 0, 60, hub.replyChannel);
    w.append({ t: 'text', d: 'a' });
    await w.flush();
    expect(await waitFor(() => f.seqs.length === 1)).toBe(true);
    await writer.client('KILL', 'ID', subId);
    // Published while the subscriber reconnects (ioredis waits 100 ms first): lost to pub/sub, kept in the stream.
    w.append({ t: 'text', d: 'b' });
    w.append(finish);
    await w.flush();
    const { error } = await f.ended;
    expect(error).toBeNull();
    expect(f.seqs).toEqual([1, 2, 3]);
  });

  it('fails a run whose job is gone after its connection came back with RunLostError once it stays silent for the grace; one still written to goes on', async () => {
    const graceMs = 400;
    const { hub, subId } = await startHub(graceMs);
    const lost = randomUUID();
    const zombie = randomUUID(); // its job is gone too, but a worker that still holds it keeps writing
    const lostRun = follow(hub, lost);
    const zombieRun = follow(hub, zombie);
    const killedAt = Date.now();
    await writer.client('KILL', 'ID', subId);
    const w = new RunEventWriter(writer, keys, zombie, 0, 60, hub.replyChannel);
    for (let i = 0; i < 8; i++) {
      w.append({ t: 'text', d: `${i}` });
      await w.flush();
      await new Promise((r) => setTimeout(r, 100));
    }
    w.append(finish);
    await w.flush();
    const l = await lostRun.ended;
    expect(l.error).toBeInstanceOf(RunLostError);
    expect(l.at - killedAt).toBeGreaterThanOrEqual(graceMs);
    expect(l.at - killedAt).toBeLessThan(graceMs + 1500);
    const z = await zombieRun.ended;
    expect(z.error).toBeNull();
    expect(zombieRun.seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(hub.openSubscriptions).toBe(0);
  });

  it('fails every subscription with RedisOutageError when Redis stays away longer than the grace', async () => {
    const graceMs = 300;
    const { hub, cmd } = await startHub(graceMs);
    const followed = follow(hub, randomUUID());
    const resumed = new Promise<unknown>((resolve) => hub.subscribe(randomUUID(), 0, () => undefined, resolve));
    await new Promise((r) => setTimeout(r, 50));
    const droppedAt = Date.now();
    cmd.disconnect(); // gone for good: as good as a Redis that does not come back
    const { error, at } = await followed.ended;
    expect(error).toBeInstanceOf(RedisOutageError);
    expect(at - droppedAt).toBeGreaterThanOrEqual(graceMs - 5);
    expect(at - droppedAt).toBeLessThan(graceMs + 500);
    expect(await resumed).toBeInstanceOf(RedisOutageError);
    expect(hub.openSubscriptions).toBe(0);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}
