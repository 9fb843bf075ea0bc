import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEvent } from '@switchboard/contracts';
import { deleteKeysUnder, startTcpProxy, type TcpProxy, waitFor } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { connectRedis, createRedis, type Redis, redisKeys, RedisOutageError, RunEventHub, RunEventWriter, RunLostError } from '../src/index.js';

/**
 * The hub when its Redis connections drop, on the shared Redis: only the hub's own connections are cut
 * (through a TCP proxy, CLIENT KILL by id, or a disconnect), never the server. The e2e suite (e2e/redis-outage)
 * stops a real one.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keys = redisKeys(`sbtest-${randomUUID().slice(0, 8)}`);
const finish: RunEvent = { t: 'finish', reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
let writer: Redis;
let proxy: TcpProxy;
const opened: Redis[] = [];

/** A hub over connections of its own; `subId` is its subscriber connection's CLIENT ID. */
async function startHub(graceMs: number, subUrl = url): Promise<{ hub: RunEventHub; sub: Redis; cmd: Redis; subId: number }> {
  const sub = createRedis(subUrl, 'test-outage-sub');
  const cmd = createRedis(url, 'test-outage-cmd');
  opened.push(sub, cmd);
  await connectRedis(sub, subUrl);
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
  const { hostname, port } = new URL(url);
  proxy = await startTcpProxy({ host: hostname, port: Number(port || 6379) });
});

afterAll(async () => {
  await deleteKeysUnder(writer, keys.prefix);
  // A second disconnect of an ended ioredis client holds the process for its retry delay.
  for (const c of opened) if (c.status !== 'end') c.disconnect();
  writer.disconnect();
  await proxy.close();
});

describe('run event hub: Redis connections lost', () => {
  it('catches up, once its connection is back, what was published while it was away', async () => {
    // The subscriber reaches Redis through the proxy: cut, it stays away until the test restores it.
    const { hub, sub } = await startHub(5000, `redis://127.0.0.1:${proxy.port}`);
    const runId = randomUUID();
    await writer.hset(keys.runJob(runId), 'name', 'run.chat'); // the job is alive
    const f = follow(hub, runId);
    const w = new RunEventWriter(writer, keys, runId, 0, 60, hub.replyChannel);
    w.append({ t: 'text', d: 'a' });
    await w.flush();
    await waitFor(() => f.seqs.length === 1, 'the first event');
    proxy.cut();
    await waitFor(() => sub.status !== 'ready', 'the subscriber to see its connection gone');
    // Published while the subscriber is away, for certain: lost to pub/sub, kept in the stream.
    w.append({ t: 'text', d: 'b' });
    w.append(finish);
    await w.flush();
    expect(f.seqs).toEqual([1]);
    proxy.restore();
    const { error } = await f.ended;
    expect(error).toBeNull();
    expect(f.seqs).toEqual([1, 2, 3]);
  });

  it('fails a run whose job is gone after its connection came back with RunLostError once it stays silent for the grace; one still written to goes on', async () => {
    // Long enough that the zombie's writes, 100 ms apart, never leave a silence that long on a busy machine.
    const graceMs = 2000;
    const { hub, subId } = await startHub(graceMs);
    const lost = randomUUID();
    const zombie = randomUUID(); // its job is gone too, but a worker that still holds it keeps writing
    const lostRun = follow(hub, lost);
    const zombieRun = follow(hub, zombie);
    let lostEnded = false;
    void lostRun.ended.then(() => (lostEnded = true));
    const killedAt = Date.now();
    await writer.client('KILL', 'ID', subId);
    const w = new RunEventWriter(writer, keys, zombie, 0, 60, hub.replyChannel);
    // The zombie writes on until the lost run has failed, and a little after (within the test's time).
    for (let afterLost = 0; afterLost < 3 && Date.now() < killedAt + 20000; afterLost += lostEnded ? 1 : 0) {
      w.append({ t: 'text', d: `${w.lastSeq}` });
      await w.flush();
      await new Promise((r) => setTimeout(r, 100));
    }
    w.append(finish);
    await w.flush();
    const l = await lostRun.ended;
    expect(l.error).toBeInstanceOf(RunLostError);
    expect(l.at - killedAt).toBeGreaterThanOrEqual(graceMs);
    const z = await zombieRun.ended;
    expect(z.error).toBeNull();
    expect(zombieRun.seqs).toEqual(Array.from({ length: w.lastSeq }, (_, i) => i + 1));
    expect(hub.openSubscriptions).toBe(0);
  });

  it('fails every subscription with RedisOutageError when Redis stays away longer than the grace', async () => {
    const graceMs = 300;
    const { hub, cmd } = await startHub(graceMs);
    const followed = follow(hub, randomUUID());
    // A resumer whose catch-up read has answered (it got the event already written): it is following live.
    const runId = randomUUID();
    const w = new RunEventWriter(writer, keys, runId, 0, 60);
    w.append({ t: 'text', d: 'a' });
    await w.flush();
    let caughtUp = false;
    const resumed = new Promise<unknown>((resolve) => hub.subscribe(runId, 0, () => (caughtUp = true), resolve));
    await waitFor(() => caughtUp, 'the resumer to catch up');
    const droppedAt = Date.now();
    cmd.disconnect(); // gone for good: as good as a Redis that does not come back
    const { error, at } = await followed.ended;
    expect(error).toBeInstanceOf(RedisOutageError);
    expect(at - droppedAt).toBeGreaterThanOrEqual(graceMs - 5);
    expect(await resumed).toBeInstanceOf(RedisOutageError);
    expect(hub.openSubscriptions).toBe(0);
  });
});
