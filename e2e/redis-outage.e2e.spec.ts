import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeUpstream, getFreePort, startFakeUpstream } from '@switchboard/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ANSWER, continuingReply, createTestDatabase, streamChat, waitUntil } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * Redis going away under load. Never the shared Redis (other suites use it): a private redis-server on a free
 * port, stopped and started again on the same port, behind a worker and a gateway in their own processes.
 */
const KEY = 'sb-e2e-redis-key';
const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-redis-'));
const prefix = `sbredis-${randomUUID().slice(0, 8)}`;
let port: number;
let redis: ChildProcess | undefined;
let upstream: FakeUpstream;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const procs: PlatformProcess[] = [];
let gatewayUrl: string;

const log = (line: string): void => void process.stdout.write(`[fault] ${line}\n`);

async function startRedis(): Promise<void> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = await waitUntil(() => /Ready to accept connections/.test(out), 5000);
  if (!ready) throw new Error(`redis-server did not start on ${port}:\n${out}`);
  redis = child;
}

async function stopRedis(): Promise<number> {
  const child = redis!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
  redis = undefined;
  return Date.now();
}

const chat = (stream: boolean): Promise<Response> =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fake/m1', stream, messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(5000),
  });

beforeAll(async () => {
  port = await getFreePort();
  await startRedis();
  db = await createTestDatabase();
  upstream = await startFakeUpstream({ reply: continuingReply(5) });
  const config = path.join(dir, 'redis.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: redis://127.0.0.1:${port}, prefix: ${prefix} }
auth: { api_key: ${KEY} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1] }
auto_pick: { priority: [fake] }
rate_limit: { enabled: false }
queue: { concurrency: 16, lock_ms: 2000, stalled_interval_ms: 1000 }
`,
  );
  const env = { SWITCHBOARD_CONFIG: config, DATABASE_URL: db.url };
  for (const app of ['worker', 'gateway']) procs.push(await startPlatformProcess({ configYaml: null, app, env, prefix, dir }));
  gatewayUrl = procs[1]!.urls.gateway!;
}, 120000);

afterAll(async () => {
  for (const p of procs.reverse()) await p.stop('SIGKILL');
  if (redis) await stopRedis();
  await upstream?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
}, 60000);

describe('Redis outage', () => {
  it('answers 503 (readyz, and /v1 with Retry-After) within a second of Redis stopping, and recovers by itself when it is back', async () => {
    const baseline = await streamChat(gatewayUrl, KEY);
    expect(baseline.text).toBe(ANSWER);

    // Under load: streams in flight while Redis goes away.
    const abortLoad = new AbortController();
    let loadEnded = 0;
    const load = Array.from({ length: 10 }, () =>
      streamChat(gatewayUrl, KEY, { signal: abortLoad.signal })
        .catch(() => null)
        .finally(() => loadEnded++),
    );
    await new Promise((r) => setTimeout(r, 100));
    const stoppedAt = await stopRedis();

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
    // Known gap (docs/RELIABILITY.md): streams open when Redis went away are not ended by the gateway; a Redis
    // without persistence loses their jobs and events. Counted and logged here, then abandoned by the client.
    await new Promise((r) => setTimeout(r, 2000));
    log(`streams open when Redis stopped that ended within 2 s: ${loadEnded}/10`);

    const restartedAt = Date.now();
    await startRedis();
    let readyAgain = NaN;
    await waitUntil(async () => {
      const r = await fetch(`${gatewayUrl}/readyz`).catch(() => null);
      if (r?.status === 200) readyAgain = Date.now() - restartedAt;
      return r?.status === 200;
    }, 15000, 20);
    let answered = NaN;
    await waitUntil(async () => {
      const r = await streamChat(gatewayUrl, KEY).catch(() => null);
      if (r?.text === ANSWER) answered = Date.now() - restartedAt;
      return r?.text === ANSWER;
    }, 20000, 100);
    log(`Redis back -> gateway /readyz 200 after ${readyAgain} ms; first complete answer ${answered} ms after the restart`);
    expect(readyAgain).toBeLessThan(5000);
    expect(answered).toBeLessThan(10000);
    const workerReady = await fetch(`${procs[0]!.urls.worker!}/readyz`);
    expect(workerReady.status).toBe(200);
    abortLoad.abort();
    await Promise.all(load);
  }, 90000);
});
