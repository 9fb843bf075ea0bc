import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChatRunJob, RunEvent } from '@switchboard/contracts';
import { deleteKeysUnder } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { connectRedis, createRedis, InlineRunLedger, type Redis, redisKeys, RunEventHub, RunEventWriter, RunRecordStream } from '../src/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keys = redisKeys(`sbtest-${randomUUID().slice(0, 8)}`);
let cmd: Redis;
let blocking: Redis;
let sub: Redis;

const job = (runId = randomUUID()): ChatRunJob => ({
  runId,
  created: Math.floor(Date.now() / 1000),
  apiKeyId: 'k1',
  conversationId: null,
  externalConversationId: null,
  mode: 'stream',
  replyTo: null,
  request: { model: 'up/m', messages: [{ role: 'user', content: 'hi' }] } as ChatRunJob['request'],
  handoff: false,
});

beforeAll(async () => {
  cmd = createRedis(url, 'test-cmd');
  blocking = createRedis(url, 'test-blocking', { enableAutoPipelining: false });
  sub = createRedis(url, 'test-sub');
  await Promise.all([cmd, blocking, sub].map((c) => connectRedis(c, url)));
});

afterAll(async () => {
  await deleteKeysUnder(cmd, keys.prefix);
  for (const c of [cmd, blocking, sub]) c.disconnect();
});

/** A clock the test moves by hand: a lease expires when the test says, not when a busy machine gets round to it. */
const testClock = (): { now: () => number; advance: (ms: number) => void } => {
  let t = Date.now();
  return { now: () => t, advance: (ms) => void (t += ms) };
};

describe('InlineRunLedger', () => {
  it('keeps an open run until its lease expires, then lets exactly one claimer take it, job included', async () => {
    const clock = testClock();
    const ledger = new InlineRunLedger(cmd, keys, 200, 60, clock.now);
    const j = job();
    await ledger.open(j);
    clock.advance(199);
    expect(await ledger.claimExpired()).toEqual([]);
    clock.advance(2);
    const [first, second] = await Promise.all([ledger.claimExpired(), ledger.claimExpired()]);
    expect([...first!, ...second!]).toEqual([{ runId: j.runId, job: j }]);
  });

  it('renewing keeps a lease alive; release gives it up at once', async () => {
    const clock = testClock();
    const ledger = new InlineRunLedger(cmd, keys, 200, 60, clock.now);
    const j = job();
    await ledger.open(j);
    // Four renewals 150 ms apart: 600 ms in all, three times the lease, and it never lapses.
    for (let i = 0; i < 4; i++) {
      clock.advance(150);
      expect(await ledger.claimExpired()).toEqual([]);
      await ledger.renew([j.runId]);
    }
    clock.advance(199);
    expect(await ledger.claimExpired()).toEqual([]);
    await ledger.release([j.runId]);
    expect((await ledger.claimExpired()).map((c) => c.runId)).toEqual([j.runId]);
  });

  it('renew never brings back a lease that was claimed meanwhile', async () => {
    const clock = testClock();
    const ledger = new InlineRunLedger(cmd, keys, 1, 60, clock.now);
    const j = job();
    await ledger.open(j);
    clock.advance(2);
    expect(await ledger.claimExpired()).toHaveLength(1);
    await ledger.renew([j.runId]);
    expect(await cmd.zscore(keys.inlineLeases(), j.runId)).toBeNull();
  });

  it('a claimed run whose job Redis lost comes with job null', async () => {
    const clock = testClock();
    const ledger = new InlineRunLedger(cmd, keys, 1, 60, clock.now);
    const j = job();
    await ledger.open(j);
    await cmd.del(keys.runJobData(j.runId));
    clock.advance(2);
    expect(await ledger.claimExpired()).toEqual([{ runId: j.runId, job: null }]);
  });

  it('close queues the record, drops the lease and lets the job expire; the record is read once and acknowledged', async () => {
    const ledger = new InlineRunLedger(cmd, keys, 1, 60);
    const j = job();
    await ledger.open(j);
    const records = new RunRecordStream(blocking, keys, 'c1');
    await records.ensureGroup();
    await records.ensureGroup(); // idempotent
    await ledger.close(j.runId, JSON.stringify({ job: j, outcome: { status: 'succeeded' } }));
    expect(await cmd.zscore(keys.inlineLeases(), j.runId)).toBeNull();
    const ttl = await cmd.ttl(keys.runJobData(j.runId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    const read = await records.read(10, 100);
    expect(read).toHaveLength(1);
    expect(JSON.parse(read[0]!.record).job.runId).toBe(j.runId);
    expect(await records.read(10, 50)).toEqual([]);
    await records.ack(read.map((e) => e.id));
    expect(await cmd.xlen(keys.runRecords())).toBe(0);
  });

  it('a record read by a consumer that died is claimed by another after the idle time', async () => {
    const ledger = new InlineRunLedger(cmd, keys, 1, 60);
    const dead = new RunRecordStream(blocking, keys, 'dead');
    const alive = new RunRecordStream(blocking, keys, 'alive');
    await dead.ensureGroup();
    const j = job();
    await ledger.close(j.runId, JSON.stringify({ job: j }));
    expect(await dead.read(10, 100)).toHaveLength(1);
    expect(await alive.claimStale(60_000, 10)).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    const claimed = await alive.claimStale(20, 10);
    expect(claimed.map((e) => JSON.parse(e.record).job.runId)).toEqual([j.runId]);
    await alive.ack(claimed.map((e) => e.id));
  });
});

describe('RunEventWriter onWritten with a followed run', () => {
  it('feeds the follower each event once Redis has it, in order, and hands on to reply-channel events after it', async () => {
    const hub = new RunEventHub(sub, cmd, keys, `gw-${randomUUID().slice(0, 6)}`);
    await hub.start();
    const runId = randomUUID();
    const got: { seq: number; event: RunEvent }[] = [];
    /** For each event the follower was told of: how many events Redis held at that moment. */
    const inRedis: Promise<{ seq: number; held: number }>[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const subscription = hub.follow(
        runId,
        (seq, event) => {
          got.push({ seq, event });
          if (event.t === 'finish') resolve();
        },
        reject,
      );
      // The gateway's own writer (no reply channel) feeds the follower directly...
      const own = new RunEventWriter(cmd, keys, runId, 0, 60, null, 0, (seq, event) => {
        inRedis.push(cmd.xlen(keys.runEvents(runId)).then((held) => ({ seq, held })));
        subscription.push(seq, event);
      });
      own.append({ t: 'start', provider: 'up', model: 'm', attempt: 1 });
      own.append({ t: 'text', d: 'Hel' });
      own.flush().then(async () => {
        // ...then a worker continues it, publishing on the gateway's reply channel.
        const worker = new RunEventWriter(cmd, keys, runId, own.lastSeq, 60, hub.replyChannel);
        worker.append({ t: 'text', d: 'lo' });
        worker.append({ t: 'finish', reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
        await worker.flush();
      }, reject);
    });
    await ended;
    // Redis had every event the gateway's own writer told of by the time it told.
    const checks = await Promise.all(inRedis);
    expect(checks.map((c) => c.seq)).toEqual([1, 2]);
    for (const { seq, held } of checks) expect(held).toBeGreaterThanOrEqual(seq);
    expect(got.map((g) => g.seq)).toEqual([1, 2, 3, 4]);
    expect(got.map((g) => g.event.t)).toEqual(['start', 'text', 'text', 'finish']);
  });
});
