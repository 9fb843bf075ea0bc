import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEvent } from '@switchboard/contracts';
import { deleteKeysUnder, waitFor } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import {
  connectRedis,
  createRedis,
  lastRunEventSeq,
  readRunEvents,
  type Redis,
  redisKeys,
  RunEventHub,
  RunEventWriter,
  RunFencedError,
} from '../src/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keys = redisKeys(`sbtest-${randomUUID().slice(0, 8)}`);
let cmd: Redis;
let sub: Redis;
let hub: RunEventHub;

const collect = (runId: string, afterSeq = 0): Promise<{ seq: number; event: RunEvent }[]> =>
  new Promise((resolve, reject) => {
    const got: { seq: number; event: RunEvent }[] = [];
    hub.subscribe(
      runId,
      afterSeq,
      (seq, event) => {
        got.push({ seq, event });
        if (event.t === 'finish' || event.t === 'error') resolve(got);
      },
      reject,
    );
  });

const typesAfter = async (runId: string, afterSeq: number): Promise<string[]> => (await readRunEvents(cmd, keys, runId, afterSeq)).map((e) => e.event.t);

const finish: RunEvent = { t: 'finish', reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };

beforeAll(async () => {
  cmd = createRedis(url, 'test-cmd');
  sub = createRedis(url, 'test-sub');
  await connectRedis(cmd, url);
  await connectRedis(sub, url);
  hub = new RunEventHub(sub, cmd, keys, 'test-gw');
  await hub.start();
});

afterAll(async () => {
  await deleteKeysUnder(cmd, keys.prefix);
  cmd.disconnect();
  sub.disconnect();
});

describe('run events', () => {
  it('delivers events appended after subscribing, in order, ending at the terminal event', async () => {
    const runId = randomUUID();
    // Written right after subscribing, before the SUBSCRIBE is even answered: the catch-up read finds what the
    // live messages missed.
    const done = collect(runId);
    const w = new RunEventWriter(cmd, keys, runId, 0, 60);
    for (let i = 0; i < 100; i++) w.append({ t: 'text', d: `${i},` });
    w.append(finish);
    await w.flush();
    const got = await done;
    // Deltas queued behind an in-flight write merge: fewer events, the same text, seqs without gaps.
    expect(got.length).toBeLessThan(101);
    expect(got.map((g) => g.seq)).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
    expect(got.at(-1)!.event.t).toBe('finish');
    expect(got.map((g) => (g.event.t === 'text' ? g.event.d : '')).join('')).toBe(
      Array.from({ length: 100 }, (_, i) => `${i},`).join(''),
    );
    expect(hub.openSubscriptions).toBe(0);
    expect(await cmd.ttl(keys.runEvents(runId))).toBeGreaterThan(0);
  });

  it('catches up on events written before the subscription, and resumes after a given seq', async () => {
    const runId = randomUUID();
    const w = new RunEventWriter(cmd, keys, runId, 0, 60);
    for (const d of ['a', 'b', 'c']) {
      w.append({ t: 'text', d });
      await w.flush(); // one event each: nothing queued behind an in-flight write
    }
    const all = collect(runId);
    const resumed = collect(runId, 2);
    w.append(finish);
    await w.flush();
    expect((await all).map((g) => g.seq)).toEqual([1, 2, 3, 4]);
    expect((await resumed).map((g) => g.seq)).toEqual([3, 4]);
    expect(await lastRunEventSeq(cmd, keys, runId)).toBe(4);
    expect((await readRunEvents(cmd, keys, runId, 3)).map((e) => e.event.t)).toEqual(['finish']);
  });

  it('keeps each delta its own event when writes keep up, and merges only what queued up', async () => {
    const runId = randomUUID();
    const w = new RunEventWriter(cmd, keys, runId, 0, 60);
    w.append({ t: 'text', d: 'x' }); // goes out at once
    w.append({ t: 'text', d: 'y' }); // queued behind it...
    w.append({ t: 'text', d: 'z' }); // ...and merged with y
    w.append({ t: 'tool', i: 0, id: 'c1', name: 'f', args: '' }); // other kinds never merge
    w.append({ t: 'text', d: 'w' });
    await w.flush();
    expect(w.lastSeq).toBe(4);
    const events = (await readRunEvents(cmd, keys, runId, 0)).map((e) => e.event);
    expect(events).toEqual([
      { t: 'text', d: 'x' },
      { t: 'text', d: 'yz' },
      { t: 'tool', i: 0, id: 'c1', name: 'f', args: '' },
      { t: 'text', d: 'w' },
    ]);
  });

  it("delivers a followed run's events through the gateway's reply channel, and to resumers on the run channel", async () => {
    const runId = randomUUID();
    const followed = new Promise<{ seq: number; event: RunEvent }[]>((resolve, reject) => {
      const got: { seq: number; event: RunEvent }[] = [];
      hub.follow(
        runId,
        (seq, event) => {
          got.push({ seq, event });
          if (event.t === 'finish') resolve(got);
        },
        reject,
      );
    });
    const w = new RunEventWriter(cmd, keys, runId, 0, 60, hub.replyChannel);
    w.append({ t: 'text', d: 'a' });
    await w.flush();
    const resumer = collect(runId, 1);
    w.append({ t: 'text', d: 'b' });
    await w.flush();
    w.append(finish);
    await w.flush();
    expect((await followed).map((g) => g.seq)).toEqual([1, 2, 3]);
    expect((await resumer).map((g) => g.seq)).toEqual([2, 3]);
    expect(hub.openSubscriptions).toBe(0);
  });

  it('sends the first token at once and holds later deltas for the coalescing window', async () => {
    const runId = randomUUID();
    // A window no test run outlasts: what is held stays held, whatever the machine's speed.
    const w = new RunEventWriter(cmd, keys, runId, 0, 60, null, 10_000);
    w.append({ t: 'start', provider: 'p', model: 'm', attempt: 1 });
    w.append({ t: 'text', d: 'first' });
    await waitFor(async () => (await typesAfter(runId, 0)).length === 2, 'the start and the first token');
    expect(await typesAfter(runId, 0)).toEqual(['start', 'text']);
    w.append({ t: 'text', d: ' sec' });
    w.append({ t: 'text', d: 'ond' });
    // A write that goes at once is sent within append, on this same connection, so a read sent after it sees
    // it: an empty read proves the deltas were held (no sleep needed to give them a chance).
    expect(await readRunEvents(cmd, keys, runId, 2)).toEqual([]);
    w.append({ t: 'tool', i: 0, id: 'c', name: 'f', args: '{}' }); // not a delta: goes at once, taking the text along
    await waitFor(async () => (await typesAfter(runId, 2)).length === 2, 'the tool call and the text it took along');
    expect((await readRunEvents(cmd, keys, runId, 2)).map((e) => e.event)).toEqual([
      { t: 'text', d: ' second' },
      { t: 'tool', i: 0, id: 'c', name: 'f', args: '{}' },
    ]);
    w.append({ t: 'text', d: 'tail' });
    expect(await readRunEvents(cmd, keys, runId, 4)).toEqual([]);
    w.append(finish); // terminal: never waits
    await waitFor(async () => (await typesAfter(runId, 4)).length === 2, 'the tail and the terminal event');
    expect(await typesAfter(runId, 4)).toEqual(['text', 'finish']);
    await w.flush();
  });

  it('fences off a second writer that reuses seqs (a zombie attempt)', async () => {
    const runId = randomUUID();
    const a = new RunEventWriter(cmd, keys, runId, 0, 60);
    a.append({ t: 'text', d: 'x' });
    await a.flush();
    const zombie = new RunEventWriter(cmd, keys, runId, 0, 60);
    zombie.append({ t: 'text', d: 'again' });
    await expect(zombie.flush()).rejects.toBeInstanceOf(RunFencedError);
    const retry = new RunEventWriter(cmd, keys, runId, await lastRunEventSeq(cmd, keys, runId), 60);
    retry.append({ t: 'text', d: 'y' });
    await retry.flush();
    expect((await readRunEvents(cmd, keys, runId, 0)).map((e) => (e.event.t === 'text' ? e.event.d : ''))).toEqual(['x', 'y']);
  });

  it('serves many concurrent runs without cross-talk over two connections', async () => {
    const runs = Array.from({ length: 200 }, () => randomUUID());
    const results = runs.map((r) => collect(r));
    await Promise.all(
      runs.map(async (runId) => {
        const w = new RunEventWriter(cmd, keys, runId, 0, 60);
        for (let i = 0; i < 5; i++) w.append({ t: 'text', d: `${runId}:${i}|` });
        w.append(finish);
        await w.flush();
      }),
    );
    const got = await Promise.all(results);
    got.forEach((events, i) => {
      const text = events.map((g) => (g.event.t === 'text' ? g.event.d : '')).join('');
      expect(text).toBe(Array.from({ length: 5 }, (_, j) => `${runs[i]}:${j}|`).join(''));
    });
    expect(hub.openSubscriptions).toBe(0);
  });
});
