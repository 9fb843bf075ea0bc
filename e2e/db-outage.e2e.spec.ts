import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activeRuns, ANSWER, continuingReply, createTestDatabase, type StreamResult, streamChat, type TestDatabase, waitUntil, tearDown } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * The database going away under load, in the split shape (a worker, a gateway and an api in their own
 * processes, the BUILT platform) on the shared Redis (a key prefix of their own) and a PostgreSQL database of
 * their own. The outage touches only that database: it refuses new connections and its open ones are
 * terminated; the server and other suites' databases go on. The hot path (gateway -> queue -> worker ->
 * stream) needs no database: runs keep answering, and what the worker could not record meanwhile is recorded
 * when the database is back.
 */
const KEY = 'sb-e2e-db-key';
const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-db-'));
const prefix = `sbdb-${randomUUID().slice(0, 8)}`;
let upstream: FakeUpstream;
let db: TestDatabase;
const procs: PlatformProcess[] = [];
let gatewayUrl: string;
let apiUrl: string;
let workerUrl: string;

const log = (line: string): void => void process.stdout.write(`[fault] ${line}\n`);

const status = async (url: string): Promise<number> => (await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => null))?.status ?? 0;

/** `n` slow streams, resolved once each has its first words. */
async function openStreams(n: number): Promise<Promise<StreamResult>[]> {
  let started = 0;
  const streams = Array.from({ length: n }, () =>
    streamChat(gatewayUrl, KEY, {
      model: 'fake/slow',
      onText: (_t, r) => {
        if (r.times.length === 3) started++;
      },
    }),
  );
  expect(await waitUntil(() => started === n, 10000)).toBe(true);
  return streams;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const fast = continuingReply(5);
  const slow = continuingReply(20);
  upstream = await startFakeUpstream({ reply: (req: FakeRequest) => ((req.body as { model?: string }).model === 'slow' ? slow(req) : fast(req)) });
  const config = path.join(dir, 'db.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
auth: { api_key: ${KEY} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1, slow] }
auto_pick: { priority: [fake] }
rate_limit: { enabled: false }
queue: { concurrency: 32, lock_ms: 2000, stalled_interval_ms: 1000, heartbeat_ms: 500, stale_after_ms: 4000 }
`,
  );
  const env = { SWITCHBOARD_CONFIG: config, DATABASE_URL: db.url };
  for (const app of ['worker', 'gateway', 'api']) procs.push(await startPlatformProcess({ configYaml: null, app, env, prefix, dir }));
  workerUrl = procs[0]!.urls.worker!;
  gatewayUrl = procs[1]!.urls.gateway!;
  apiUrl = procs[2]!.urls.api!;
}, 120000);

afterAll(async () => {
  await db?.unblock().catch(() => undefined);
  await tearDown(procs, upstream, db);
}, 60000);

describe('database outage', () => {
  it('api /readyz says 503 while the database is away, /v1 keeps answering, and every run made meanwhile is recorded once it is back', async () => {
    const baseline = await streamChat(gatewayUrl, KEY);
    expect(baseline.text).toBe(ANSWER);
    expect(await status(`${apiUrl}/readyz`)).toBe(200);

    // Streams in flight when the database goes away, then more while it is away.
    const inFlight = await openStreams(5);
    const blockedAt = Date.now();
    await db.block();

    let readyz503 = NaN;
    await waitUntil(async () => {
      const s = await status(`${apiUrl}/readyz`);
      if (s === 503) readyz503 = Date.now() - blockedAt;
      return s === 503;
    }, 5000, 20);
    expect(readyz503).toBeLessThan(3000);

    const during = await Promise.all(Array.from({ length: 5 }, () => streamChat(gatewayUrl, KEY)));
    const results = [...(await Promise.all(inFlight)), ...during];
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.text).toBe(ANSWER);
    }
    // The records wait in the worker's memory, not in its slots: every run ended and freed its slot.
    expect(await waitUntil(async () => (await activeRuns(workerUrl)) === 0, 10000)).toBe(true);
    expect(procs[0]!.output()).toMatch(/holding run records in memory/);
    // The REST routes that need the database answer 503 with Retry-After at once; the gateway and the worker stay ready.
    const restStarted = Date.now();
    const rest = await fetch(`${apiUrl}/api/runs/${results[0]!.runId}`, { headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(10000) });
    const restMs = Date.now() - restStarted;
    expect(rest.status).toBe(503);
    expect(rest.headers.get('retry-after')).toBe('5');
    expect(((await rest.json()) as { error: { type: string } }).error.type).toBe('service_unavailable_error');
    expect(await status(`${gatewayUrl}/readyz`)).toBe(200);
    expect(await status(`${workerUrl}/readyz`)).toBe(200);
    log(
      `database unreachable -> api /readyz 503 after ${readyz503} ms; ${results.length} runs (5 in flight, 5 started during the outage) answered whole; ` +
        `GET /api/runs/:id answered ${rest.status} in ${restMs} ms; gateway and worker /readyz 200`,
    );

    const unblockedAt = Date.now();
    await db.unblock();
    let readyz200 = NaN;
    await waitUntil(async () => {
      const s = await status(`${apiUrl}/readyz`);
      if (s === 200) readyz200 = Date.now() - unblockedAt;
      return s === 200;
    }, 10000, 20);
    const ids = results.map((r) => r.runId!);
    let recordedMs = NaN;
    const recorded = await waitUntil(async () => {
      const rows = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "Run" WHERE id = ANY($1) AND status = 'succeeded'`, [ids]).catch(() => [{ n: '0' }]);
      if (Number(rows[0]?.n) === ids.length) recordedMs = Date.now() - unblockedAt;
      return Number(rows[0]?.n) === ids.length;
    }, 15000, 50);
    log(`database back after ${unblockedAt - blockedAt} ms away -> api /readyz 200 after ${readyz200} ms; all ${ids.length} runs of the outage recorded ${recordedMs} ms after it came back`);
    expect(readyz200).toBeLessThan(5000);
    expect(recorded).toBe(true);
    // Recorded once, whole: one assistant message per run with the whole answer.
    const messages = await db.query<{ runId: string; content: string }>(`SELECT "runId", content FROM "Message" WHERE "runId" = ANY($1) AND role = 'assistant'`, [ids]);
    expect(messages.map((m) => m.runId).sort()).toEqual([...ids].sort());
    for (const m of messages) expect(m.content).toBe(ANSWER);
    const run = await fetch(`${apiUrl}/api/runs/${ids[0]!}`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(run.status).toBe(200);
    expect(((await run.json()) as { status: string }).status).toBe('succeeded');
  }, 90000);
});
