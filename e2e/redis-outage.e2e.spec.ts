import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createGate, type FakeReply, type FakeRequest, type FakeUpstream, getFreePort, startFakeUpstream, startTcpProxy, type TcpProxy, waitFor } from '@switchboard/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activeRuns, ANSWER, answerPrefix, continuingReply, createTestDatabase, type StreamResult, streamChat, waitUntil } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * Redis going away under load. Never the shared Redis (other suites use it): a private redis-server on a free
 * port that keeps nothing on disk, stopped and started again on the same port, behind a worker and a gateway
 * in their own processes. `fake/m1` answers in 0.3 s, `fake/slow` in 3 s (60 words, 50 ms apart), so streams
 * are open when Redis goes. The gateway that runs runs itself reaches that Redis through a TCP proxy, so a test
 * can cut it off for exactly as long as it needs.
 */
const KEY = 'sb-e2e-redis-key';
/** server.redis_outage_grace_ms in this test. */
const GRACE_MS = 1500;
/**
 * The same for the gateway that runs runs itself: its outage test waits for states (the gateway saw the cut,
 * every run's write failed) before it restores Redis, and a busy machine must not turn that wait into a
 * redis_unavailable.
 */
const INLINE_GRACE_MS = 5000;
const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-redis-'));
const prefix = `sbredis-${randomUUID().slice(0, 8)}`;
let port: number;
let redis: ChildProcess | undefined;
let upstream: FakeUpstream;
let proxy: TcpProxy;
const fast = continuingReply(5);
const slow = continuingReply(50);
const byModel =
  (slowReply: (req: FakeRequest) => FakeReply) =>
  (req: FakeRequest): FakeReply =>
    (req.body as { model?: string }).model === 'slow' ? slowReply(req) : fast(req);
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const procs: PlatformProcess[] = [];
let gatewayUrl: string;
let inlineGatewayUrl: string;

const log = (line: string): void => void process.stdout.write(`[fault] ${line}\n`);

async function startRedis(): Promise<void> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = await waitUntil(() => /Ready to accept connections/.test(out), 5000);
  if (!ready) throw new Error(`redis-server did not start on ${port}:\n${out}`);
  redis = child;
}

/** Stops the private Redis; resolves with when it was told to stop and when it had exited. */
async function stopRedisAt(): Promise<{ signalledAt: number; exitedAt: number }> {
  const child = redis!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  await exited;
  redis = undefined;
  return { signalledAt, exitedAt: Date.now() };
}

const stopRedis = async (): Promise<number> => (await stopRedisAt()).exitedAt;

const chat = (stream: boolean, model = 'fake/m1', timeoutMs = 5000): Promise<Response> =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `hi ${randomUUID()}` }] }),
    signal: AbortSignal.timeout(timeoutMs),
  });

interface Ended {
  result: StreamResult | null;
  endedAt: number;
}

/** `n` slow streams, resolved once each has its first `words` words (so all are mid-answer); then `ended` per stream. */
async function openStreams(n: number, abort: AbortSignal, url = gatewayUrl, words = 3): Promise<Promise<Ended>[]> {
  let started = 0;
  const streams = Array.from({ length: n }, () => {
    let counted = false;
    return streamChat(url, KEY, {
      model: 'fake/slow',
      signal: abort,
      onText: (_t, r) => {
        if (!counted && r.text.length >= answerPrefix(words).length) {
          counted = true;
          started++;
        }
      },
    }).then(
      (result) => ({ result, endedAt: Date.now() }),
      () => ({ result: null, endedAt: Date.now() }),
    );
  });
  expect(await waitUntil(() => started === n, 10000)).toBe(true);
  return streams;
}

const errorCode = (r: StreamResult | null): string | undefined => (r?.errors[0] as { code?: string } | undefined)?.code;

/** Every stream either has the whole answer or ended visibly: an error event, then [DONE]. */
function summarise(ended: Ended[], since: number): { complete: number; codes: Record<string, number>; slowestMs: number } {
  const codes: Record<string, number> = {};
  let complete = 0;
  for (const { result } of ended) {
    expect(result).not.toBeNull();
    expect(result!.done).toBe(true);
    if (result!.errors.length === 0) {
      expect(result!.text).toBe(ANSWER);
      complete++;
    } else {
      const code = errorCode(result) ?? 'none';
      codes[code] = (codes[code] ?? 0) + 1;
    }
  }
  return { complete, codes, slowestMs: Math.max(...ended.map((e) => e.endedAt - since)) };
}

async function waitForRecovery(restartedAt: number): Promise<{ readyMs: number; answeredMs: number }> {
  let readyMs = NaN;
  await waitUntil(async () => {
    const r = await fetch(`${gatewayUrl}/readyz`).catch(() => null);
    if (r?.status === 200) readyMs = Date.now() - restartedAt;
    return r?.status === 200;
  }, 15000, 20);
  let answeredMs = NaN;
  await waitUntil(async () => {
    const r = await streamChat(gatewayUrl, KEY).catch(() => null);
    if (r?.text === ANSWER) answeredMs = Date.now() - restartedAt;
    return r?.text === ANSWER;
  }, 20000, 100);
  return { readyMs, answeredMs };
}

beforeAll(async () => {
  port = await getFreePort();
  await startRedis();
  db = await createTestDatabase();
  upstream = await startFakeUpstream({ reply: byModel(slow) });
  proxy = await startTcpProxy({ host: '127.0.0.1', port });
  const config = path.join(dir, 'redis.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, inline_runs: 0, gateway_port: 0, api_port: 0, worker_port: 0, heartbeat_ms: 1000, redis_outage_grace_ms: ${GRACE_MS} }
redis: { url: redis://127.0.0.1:${port}, prefix: ${prefix} }
auth: { api_key: ${KEY} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1, slow] }
auto_pick: { priority: [fake] }
rate_limit: { enabled: false }
queue: { concurrency: 16, lock_ms: 2000, stalled_interval_ms: 1000 }
`,
  );
  const env = { SWITCHBOARD_CONFIG: config, DATABASE_URL: db.url };
  for (const app of ['worker', 'gateway']) procs.push(await startPlatformProcess({ configYaml: null, app, env, prefix, dir }));
  gatewayUrl = procs[1]!.urls.gateway!;
  // A gateway that runs plain calls itself (server.inline_runs), on the same Redis, worker and database.
  const inlineConfig = path.join(dir, 'redis-inline.yaml');
  writeFileSync(
    inlineConfig,
    readFileSync(config, 'utf8')
      .replace('inline_runs: 0', 'inline_runs: 64')
      .replace(`redis_outage_grace_ms: ${GRACE_MS}`, `redis_outage_grace_ms: ${INLINE_GRACE_MS}`)
      .replace(`redis://127.0.0.1:${port}`, `redis://127.0.0.1:${proxy.port}`),
  );
  const inline = await startPlatformProcess({ configYaml: null, app: 'gateway', env: { ...env, SWITCHBOARD_CONFIG: inlineConfig }, prefix, dir });
  procs.push(inline);
  inlineGatewayUrl = inline.urls.gateway!;
}, 120000);

afterAll(async () => {
  for (const p of procs.reverse()) await p.stop('SIGKILL');
  if (redis) await stopRedis();
  await proxy?.close();
  await upstream?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
}, 60000);

describe('Redis outage', () => {
  // A case that failed with Redis stopped must not fail the ones after it too.
  beforeEach(async () => {
    if (!redis) await startRedis();
  });

  it('answers 503 within a second of Redis stopping, ends every open stream and waiting request visibly once the grace is over, and recovers by itself', async () => {
    const baseline = await streamChat(gatewayUrl, KEY);
    expect(baseline.text).toBe(ANSWER);

    // Under load: 10 streams mid-answer and one JSON request waiting for its run when Redis goes away.
    const abortLoad = new AbortController();
    const streams = await openStreams(10, abortLoad.signal);
    const waiting = chat(false, 'fake/slow', 15000).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code?: string } }, at: Date.now() }));
    // Its run is queued and running (the worker runs the 10 streams and it), not still on its way in.
    expect(await waitUntil(async () => (await activeRuns(procs[0]!.urls.worker!)) === 11, 5000)).toBe(true);
    // Redis closes its connections before it exits: the grace can start before `stoppedAt`, not before the signal.
    const { signalledAt, exitedAt: stoppedAt } = await stopRedisAt();

    let readyz503 = NaN;
    await waitUntil(async () => {
      const r = await fetch(`${gatewayUrl}/readyz`).catch(() => null);
      if (r?.status === 503) readyz503 = Date.now() - stoppedAt;
      return r?.status === 503;
    }, 3000, 10);
    const res = await chat(false);
    const v1Ms = Date.now() - stoppedAt;
    log(`Redis stopped -> gateway /readyz 503 after ${readyz503} ms; /v1 answered ${res.status} (Retry-After ${res.headers.get('retry-after')}) ${v1Ms} ms after the stop`);
    expect(readyz503).toBeLessThan(1000);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(v1Ms).toBeLessThan(1000);

    // Redis stays down past the grace: every open stream ends with a redis_unavailable error and [DONE].
    const ended = await Promise.all(streams);
    const summary = summarise(ended, stoppedAt);
    const json = await waiting;
    log(
      `Redis down past redis_outage_grace_ms (${GRACE_MS}) -> ${ended.length} open streams ended ${JSON.stringify(summary.codes)}, the last ${summary.slowestMs} ms after the stop; ` +
        `the waiting JSON request got ${json.status} ${json.body.error?.code} after ${json.at - stoppedAt} ms`,
    );
    expect(summary.codes).toEqual({ redis_unavailable: 10 });
    expect(summary.slowestMs + (stoppedAt - signalledAt)).toBeGreaterThanOrEqual(GRACE_MS - 5);
    expect(summary.slowestMs).toBeLessThan(GRACE_MS + 1500);
    expect(json.status).toBe(503);
    expect(json.body.error?.code).toBe('redis_unavailable');

    const restartedAt = Date.now();
    await startRedis();
    const { readyMs, answeredMs } = await waitForRecovery(restartedAt);
    log(`Redis back -> gateway /readyz 200 after ${readyMs} ms; first complete answer ${answeredMs} ms after the restart`);
    expect(readyMs).toBeLessThan(5000);
    expect(answeredMs).toBeLessThan(10000);
    const workerReady = await fetch(`${procs[0]!.urls.worker!}/readyz`);
    expect(workerReady.status).toBe(200);
  }, 90000);

  it('Redis restarted within the grace but without its data: running streams go on to the end, queued ones end with run_lost, none hangs', async () => {
    const abortLoad = new AbortController();
    const streams = await openStreams(10, abortLoad.signal);
    // 8 more: the worker (concurrency 16) takes 6, the last 2 wait in the queue that Redis is about to lose.
    let queued = 0;
    const more = Array.from({ length: 8 }, () =>
      streamChat(gatewayUrl, KEY, { model: 'fake/slow', signal: abortLoad.signal, onHead: () => queued++ }).then(
        (result) => ({ result, endedAt: Date.now() }),
        () => ({ result: null, endedAt: Date.now() }),
      ),
    );
    // A queued run's client gets its head once the job is in the queue: all 8 are, and the worker runs 16.
    expect(await waitUntil(async () => queued === 8 && (await activeRuns(procs[0]!.urls.worker!)) === 16, 5000)).toBe(true);
    streams.push(...more);
    const stoppedAt = await stopRedis();
    await startRedis();
    const restartedMs = Date.now() - stoppedAt;
    // A stream that hung would only end with this abort, and count as a failure below.
    const hang = setTimeout(() => abortLoad.abort(), 15000);
    const ended = await Promise.all(streams);
    clearTimeout(hang);
    const summary = summarise(ended, stoppedAt);
    const lostMs = Math.max(...ended.filter((e) => errorCode(e.result) === 'run_lost').map((e) => e.endedAt - stoppedAt));
    log(
      `Redis restarted without data (${restartedMs} ms down) -> ${summary.complete} of ${ended.length} open streams completed, the others ended ${JSON.stringify(summary.codes)} ` +
        `(the last ${lostMs} ms after the stop); the last stream ended ${summary.slowestMs} ms after the stop`,
    );
    for (const code of Object.keys(summary.codes)) expect(code).toBe('run_lost');
    expect(summary.codes.run_lost).toBeGreaterThanOrEqual(2);
    expect(summary.slowestMs).toBeLessThan(restartedMs + 3000 + GRACE_MS + 1500);

    const { readyMs, answeredMs } = await waitForRecovery(Date.now());
    expect(readyMs).toBeLessThan(5000);
    expect(answeredMs).toBeLessThan(10000);
  }, 90000);

  it('runs a gateway runs itself, when its Redis connections drop: every client gets the whole answer (a run whose writes failed goes to a worker, which continues it from its events)', async () => {
    // Each first attempt stops after HELD words until the gate opens: the runs are mid-answer, for certain,
    // when Redis goes, and their next write comes only once the test knows the gateway has lost Redis.
    const HELD = 5;
    const gate = createGate();
    upstream.setReply(byModel(continuingReply(50, { afterWords: HELD, until: gate.opened })));
    const abortLoad = new AbortController();
    const hang = setTimeout(() => abortLoad.abort(), 30000);
    try {
      const seen = upstream.requests.length;
      const streams = await openStreams(10, abortLoad.signal, inlineGatewayUrl, HELD);
      expect(await activeRuns(procs[0]!.urls.worker!)).toBe(0); // the gateway runs them, not the worker
      const firstAttempts = upstream.requests.slice(seen);
      expect(firstAttempts).toHaveLength(10);

      const droppedAt = Date.now();
      proxy.cut();
      // Its command connection is down and cannot come back while the proxy refuses: every write fails now.
      await waitFor(async () => {
        const r = await fetch(`${inlineGatewayUrl}/readyz`);
        return r.status === 503 && ((await r.json()) as { redis?: string }).redis !== 'ready';
      }, 'the gateway to see its Redis connections gone');
      gate.open();
      // A run whose write failed stops its provider call (its answer can no longer be written): all 10 do.
      const outcomes = await Promise.all(firstAttempts.map((r) => r.outcome));
      expect(outcomes).toEqual(Array.from({ length: 10 }, () => 'closed-early'));
      const cutMs = Date.now() - droppedAt;
      proxy.restore();

      const ended = await Promise.all(streams);
      const summary = summarise(ended, droppedAt);
      const ids = ended.map((e) => e.result!.runId);
      await waitFor(async () => (await db.query(`SELECT id FROM "Run" WHERE id = ANY($1)`, [ids])).length === 10, 'the 10 runs to be recorded', 15000, 100);
      const attempts = await db.query<{ attempt: number }>(`SELECT attempt FROM "Run" WHERE id = ANY($1)`, [ids]);
      const handedOver = attempts.filter((r) => r.attempt > 1).length;
      log(
        `inline runs: gateway cut off from Redis for ${cutMs} ms with 10 runs mid-answer, each of which then failed a write -> ${summary.complete} of ${ended.length} ` +
          `streams completed whole (${handedOver} continued by the worker), the last ${summary.slowestMs} ms after the cut`,
      );
      expect(summary.complete).toBe(10);
      expect(attempts).toHaveLength(10);
      expect(handedOver).toBe(10);
    } finally {
      clearTimeout(hang);
      proxy.restore();
      gate.open();
      upstream.setReply(byModel(slow));
    }
  }, 60000);

  it('runs a gateway runs itself, when Redis restarts without its data: each client is told run_lost or gets the whole answer, none hangs, and the gateway answers again', async () => {
    const abortLoad = new AbortController();
    const streams = await openStreams(10, abortLoad.signal, inlineGatewayUrl);
    const stoppedAt = await stopRedis();
    await startRedis();
    const hang = setTimeout(() => abortLoad.abort(), 20000);
    const ended = await Promise.all(streams);
    clearTimeout(hang);
    const summary = summarise(ended, stoppedAt);
    log(`inline runs: Redis restarted without data -> ${summary.complete} streams completed, the others ended ${JSON.stringify(summary.codes)}, the last ${summary.slowestMs} ms after the stop`);
    // A run whose write failed while Redis was away is lost (its events are gone, so no worker can continue it
    // under ids its client has seen). A run whose write was in flight is re-sent by ioredis once Redis is back,
    // and goes on whole into the new Redis. Which happens depends on the moment of the stop; both end visibly.
    for (const code of Object.keys(summary.codes)) expect(code).toBe('run_lost');
    expect(summary.complete + (summary.codes.run_lost ?? 0)).toBe(10);
    expect(summary.slowestMs).toBeLessThan(3000 + INLINE_GRACE_MS + 1500);
    let answered = false;
    await waitUntil(async () => (answered = (await streamChat(inlineGatewayUrl, KEY).catch(() => null))?.text === ANSWER), 20000, 100);
    expect(answered).toBe(true);
  }, 90000);
});
