import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChatRunJob, type RunEvent, switchboardConfigSchema } from '@switchboard/contracts';
import { type Database, newId, openDatabase } from '@switchboard/db';
import { createRedis, readRunEvents, redisKeys, RunEventWriter, RunQueue } from '@switchboard/queue';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { type SwitchboardWorker, startWorker } from '../src/worker-app.js';

/**
 * Heartbeats, start rows and the watchdog against the real parts: Redis, BullMQ, embedded PostgreSQL (PGlite)
 * and a slow fake upstream over HTTP.
 */
const prefix = `sbwd-${randomUUID().slice(0, 8)}`;
const keys = redisKeys(prefix);
const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-wd-'));
const redis = createRedis('redis://127.0.0.1:6379', 'test');
let upstream: FakeUpstream;
let db: Database;
let worker: SwitchboardWorker;
let runQueue: RunQueue;

const config = () =>
  switchboardConfigSchema.parse({
    redis: { prefix },
    providers: [{ name: 'fake', type: 'openai-compatible', base_url: upstream.url, models: ['m1'] }],
    auto_pick: { priority: ['fake'] },
    queue: { concurrency: 2, heartbeat_ms: 100, stale_after_ms: 600, attempts: 2, lock_ms: 2000, stalled_interval_ms: 1000 },
  });

const job = (runId: string): ChatRunJob => ({
  runId,
  created: Math.floor(Date.now() / 1000),
  handoff: false,
  apiKeyId: null,
  conversationId: null,
  externalConversationId: null,
  mode: 'stream',
  replyTo: null,
  request: { model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] } as ChatRunJob['request'],
});

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}

const events = async (runId: string): Promise<RunEvent[]> => (await readRunEvents(redis, keys, runId, 0)).map((e) => e.event);

beforeAll(async () => {
  await redis.connect();
  upstream = await startFakeUpstream({ reply: () => ({ type: 'completion', chunks: Array.from({ length: 12 }, (_, i) => `t${i} `), deltaDelayMs: 100 }) });
  db = await openDatabase(undefined, { dataDir });
  const c = config();
  worker = await startWorker({ config: c, db, logger: pino({ level: 'silent' }), port: null });
  runQueue = new RunQueue(redis, keys, c.queue);
}, 120000);

afterAll(async () => {
  await worker?.close(0);
  await runQueue?.close();
  await upstream?.close();
  await db?.close();
  const found = await redis.keys(`${prefix}:*`);
  if (found.length) await redis.del(...found);
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('run liveness', () => {
  it('creates the run row when the run starts and moves its heartbeat while it runs', async () => {
    const runId = newId();
    await runQueue.enqueueChat(job(runId));
    const started = await waitFor(() => db.runs.get(runId), (r) => r !== null);
    expect(started).toMatchObject({ status: 'running', attempt: 1, requestedModel: 'fake/m1' });
    const firstBeat = started!.heartbeatAt!.getTime();
    const later = await waitFor(() => db.runs.get(runId), (r) => (r?.heartbeatAt?.getTime() ?? 0) > firstBeat + 150);
    expect(later!.status).toBe('running');
    expect(later!.heartbeatAt!.getTime()).toBeGreaterThan(firstBeat + 150);
    const done = await waitFor(() => db.runs.get(runId), (r) => r?.status === 'succeeded');
    expect(done).toMatchObject({ status: 'succeeded', attempt: 1 });
    expect((await events(runId)).at(-1)).toMatchObject({ t: 'finish' });
  }, 20000);

  it('the scheduled watchdog ends a stale run that no worker holds with run_stale, and fails its row', async () => {
    const runId = newId();
    await db.runs.create({ id: runId, requestedModel: 'fake/m1', status: 'running', attempt: 1, heartbeatAt: new Date(Date.now() - 60_000) });
    // What a crashed worker left behind: part of an answer, no terminal event, no job.
    const writer = new RunEventWriter(redis, keys, runId, 0, 60);
    writer.append({ t: 'start', provider: 'fake', model: 'm1', attempt: 1 });
    writer.append({ t: 'text', d: 'half an ans' });
    await writer.flush();
    const ended = await waitFor(() => events(runId), (e) => e.at(-1)?.t === 'error', 5000);
    expect(ended.at(-1)).toMatchObject({ t: 'error', code: 'run_stale' });
    expect(await db.runs.get(runId)).toMatchObject({ status: 'failed' });
    // Nothing is written twice, however many scans follow.
    await new Promise((r) => setTimeout(r, 700));
    expect((await events(runId)).filter((e) => e.t === 'error')).toHaveLength(1);
  }, 20000);

  it('leaves alone a stale-looking run whose job a live worker holds', async () => {
    const runId = newId();
    await runQueue.enqueueChat(job(runId));
    await waitFor(() => db.runs.get(runId), (r) => r?.status === 'running');
    // Make its heartbeat look old; the worker still holds the job's lock, so the watchdog must not touch it.
    await db.runs.heartbeatMany([runId], new Date(Date.now() - 60_000));
    const done = await waitFor(() => db.runs.get(runId), (r) => r?.status !== 'running', 10000);
    expect(done?.status).toBe('succeeded');
    const all = await events(runId);
    expect(all.filter((e) => e.t === 'error')).toHaveLength(0);
    expect(all.at(-1)).toMatchObject({ t: 'finish' });
  }, 20000);

  it('runs an agent from the definition its job carries, one the worker has not read yet (made through the API a moment ago)', async () => {
    const runId = newId();
    const agent = switchboardConfigSchema.parse({
      providers: [{ name: 'fake', type: 'openai-compatible', base_url: upstream.url, models: ['m1'] }],
      agents: [{ name: `fresh-${runId}`, model: 'fake/m1', system_prompt: 'Be brief.' }],
    }).agents[0]!;
    const base = job(runId);
    await runQueue.enqueueChat({ ...base, request: { ...base.request, model: agent.name }, agent });
    const done = await waitFor(() => db.runs.get(runId), (r) => r?.status === 'succeeded' || r?.status === 'failed', 10000);
    expect(done).toMatchObject({ status: 'succeeded' });
    expect((await events(runId)).at(-1)).toMatchObject({ t: 'finish' });
    // The agent's system prompt reached the provider: it ran as that agent, not as a bare model call.
    const sent = upstream.requests.at(-1)?.body as { messages: { role: string; content: string }[] };
    expect(sent.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('Be brief.') });
  }, 20000);
});
