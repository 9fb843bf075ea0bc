import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeReply, type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ANSWER, activeRuns, continuingReply, createTestDatabase, streamChat, waitUntil, tearDown } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * Faults of workers and gateways, with real processes: two workers and a gateway (the BUILT platform) on the
 * shared Redis (a key prefix of their own) and a PostgreSQL database of their own, in front of a fake
 * upstream that streams slowly and honours continuation. Small lock and stalled intervals make recovery
 * take seconds. Each recovery time is logged (`[fault]` lines) and recorded in docs/RELIABILITY.md.
 */
const KEY = 'sb-e2e-fault-key';
const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-fault-'));
const prefix = `sbfault-${randomUUID().slice(0, 8)}`;
let upstream: FakeUpstream;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let env: Record<string, string>;
const workers: PlatformProcess[] = [];
let gateway: PlatformProcess;
const all: PlatformProcess[] = [];

const log = (line: string): void => void process.stdout.write(`[fault] ${line}\n`);

async function startWorker(extraEnv: Record<string, string> = {}): Promise<PlatformProcess> {
  const p = await startPlatformProcess({ configYaml: null, app: 'worker', env: { ...env, ...extraEnv }, prefix, dir });
  workers.push(p);
  all.push(p);
  return p;
}

const liveWorkers = (): PlatformProcess[] => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);

/** The live worker that holds a run right now. */
async function workerWithRun(): Promise<PlatformProcess> {
  let found: PlatformProcess | undefined;
  await waitUntil(async () => {
    for (const w of liveWorkers()) if ((await activeRuns(w.urls.worker!)) > 0) found = w;
    return found !== undefined;
  }, 5000);
  if (!found) throw new Error('no worker picked up the run');
  return found;
}

beforeAll(async () => {
  db = await createTestDatabase();
  upstream = await startFakeUpstream({ reply: continuingReply(50) });
  const config = path.join(dir, 'fault.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, inline_runs: 0, gateway_port: 0, api_port: 0, worker_port: 0, shutdown_grace_ms: 6000, heartbeat_ms: 1000 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
auth: { api_key: ${KEY} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1] }
auto_pick: { priority: [fake] }
rate_limit: { enabled: false }
agents:
  - name: patient
    model: fake/m1
    tools: [calculator]
    budgets: { sync: { max_iterations: 1, max_seconds: 30 }, background: { max_iterations: 12, max_seconds: 60 } }
    on_budget_exceeded: background
queue: { concurrency: 64, lock_ms: 2000, stalled_interval_ms: 1000, heartbeat_ms: 500, stale_after_ms: 4000, attempts: 3 }
`,
  );
  env = { SWITCHBOARD_CONFIG: config, DATABASE_URL: db.url };
  await startWorker();
  await startWorker();
  gateway = await startPlatformProcess({ configYaml: null, app: 'gateway', env, prefix, dir });
  all.push(gateway);
}, 240000);

afterAll(async () => {
  await tearDown(all, upstream, db);
}, 60000);

// Generous deadlines and test timeouts: on a machine shared with other suites a worker has taken 27 s to start
// and 100 streams more than 20 s to get their first words. They bound waiting, they are not what is checked.
describe('worker and gateway faults', () => {
  it('(a) kill -9 of the worker mid-stream: the client reads one whole answer, nothing repeated or lost; recorded once', async () => {
    let killedAt = 0;
    let victim: PlatformProcess | undefined;
    const stream = streamChat(gateway.urls.gateway!, KEY, {
      onText: (_text, r) => {
        // Kill after a dozen words: well inside the answer (60 words, 50 ms apart).
        if (r.times.length === 12 && !victim) {
          void workerWithRun().then((w) => {
            victim = w;
            killedAt = Date.now();
            w.child.kill('SIGKILL');
          });
        }
      },
    });
    const result = await stream;
    expect(result.errors).toEqual([]);
    expect(result.done).toBe(true);
    expect(result.text).toBe(ANSWER);
    expect(victim).toBeDefined();
    const resumedAt = result.times.find((t) => t > killedAt) ?? NaN;
    log(`worker kill -9 -> next text on the client after ${resumedAt - killedAt} ms (lock_ms 2000, stalled_interval_ms 1000)`);
    expect(resumedAt - killedAt).toBeLessThan(10000);

    // Recorded once: one run row (attempt 2, succeeded), one assistant message with the whole answer.
    const runId = result.runId!;
    await waitUntil(async () => (await db.query<{ status: string }>(`SELECT status FROM "Run" WHERE id = $1`, [runId]))[0]?.status === 'succeeded', 5000);
    const runs = await db.query<{ status: string; attempt: number }>(`SELECT status, attempt FROM "Run" WHERE id = $1`, [runId]);
    expect(runs).toEqual([{ status: 'succeeded', attempt: 2 }]);
    const messages = await db.query<{ content: string }>(`SELECT content FROM "Message" WHERE "runId" = $1 AND role = 'assistant'`, [runId]);
    expect(messages).toEqual([{ content: ANSWER }]);

    await startWorker(); // back to two workers for the next tests
  }, 120000);

  it('(b) 100 clients dropping mid-stream: every worker slot is freed and the upstream saw its connections closed early', async () => {
    const before = upstream.requests.length;
    const controllers = Array.from({ length: 100 }, () => new AbortController());
    let started = 0;
    const streams = controllers.map((c) =>
      streamChat(gateway.urls.gateway!, KEY, {
        signal: c.signal,
        onText: (_t, r) => {
          if (r.times.length === 1) started++;
        },
      }).catch(() => null),
    );
    expect(await waitUntil(() => started === 100, 60000)).toBe(true);
    const droppedAt = Date.now();
    for (const c of controllers) c.abort();
    await Promise.all(streams);
    // How fast is measured and logged, not asserted: it has taken 0.4 s on an idle machine and 16.5 s on one
    // shared by several test suites (load average 17 on 2 cores). That the runs were cancelled, not finished,
    // the upstream shows: every call was closed early.
    const freed = await waitUntil(async () => (await Promise.all(liveWorkers().map((w) => activeRuns(w.urls.worker!)))).every((n) => n === 0), 60000);
    const freedMs = Date.now() - droppedAt;
    log(`100 clients dropped -> all worker slots free after ${freedMs} ms`);
    expect(freed).toBe(true);
    const ours = upstream.requests.slice(before);
    expect(ours).toHaveLength(100);
    const outcomes = await Promise.all(ours.map((r) => r.outcome));
    expect(outcomes.filter((o) => o === 'closed-early')).toHaveLength(100);
  }, 120000);

  it('(c) SIGTERM to a worker mid-run: it finishes the run within its grace period and exits cleanly', async () => {
    let victim: PlatformProcess | undefined;
    let exit: Promise<number | null> | undefined;
    const result = await streamChat(gateway.urls.gateway!, KEY, {
      onText: (_t, r) => {
        if (r.times.length === 5 && !victim) {
          void workerWithRun().then((w) => {
            victim = w;
            exit = w.stop('SIGTERM');
          });
        }
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.text).toBe(ANSWER);
    expect(await exit).toBe(0);
    await startWorker();
  }, 120000);

  it('(c) SIGTERM to a worker whose grace period is shorter than the run: the run is handed back and finished elsewhere', async () => {
    // Only a worker with a 300 ms grace is up when the run starts, so it holds it; another one starts after the signal.
    for (const w of liveWorkers()) expect(await w.stop('SIGTERM')).toBe(0);
    const short = await startWorker({ SWITCHBOARD__SERVER__SHUTDOWN_GRACE_MS: '300' });
    let signalledAt = 0;
    let exit: Promise<number | null> | undefined;
    let next: Promise<PlatformProcess> | undefined;
    const result = await streamChat(gateway.urls.gateway!, KEY, {
      onText: (_t, r) => {
        if (r.times.length === 5 && !exit) {
          signalledAt = Date.now();
          exit = short.stop('SIGTERM');
          next = startWorker();
        }
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.done).toBe(true);
    expect(result.text).toBe(ANSWER);
    expect(await exit).toBe(0);
    await next;
    const gap = Math.max(...result.times.map((t, i) => (i > 0 ? t - result.times[i - 1]! : 0)));
    log(`worker SIGTERM with grace 300 ms mid-run -> handed back, continued on a worker started after the signal; longest pause on the client ${gap} ms (worker start included); signal at ${signalledAt}`);
    while (liveWorkers().length < 2) await startWorker();
  }, 120000);

  it('(d) kill -9 of the worker while a run goes on in the background: another worker finishes it, recorded once', async () => {
    // Ten tool steps of ~300 ms each after the first call, then the answer: about 3 s in the background.
    upstream.setReply((req: FakeRequest): FakeReply => {
      const steps = (req.body as { messages: { role: string }[] }).messages.filter((m) => m.role === 'tool').length;
      return steps < 10
        ? { type: 'completion', text: `s${steps}. `, toolCalls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }], firstDeltaDelayMs: 300 }
        : { type: 'completion', text: 'done.' };
    });
    try {
      const client = await streamChat(gateway.urls.gateway!, KEY, { model: 'patient' });
      expect(client.errors).toEqual([]);
      expect(client.done).toBe(true);
      expect(client.text).toMatch(/^s0\. \n\nThis is taking longer than a chat answer should, so it goes on in the background/);
      const runId = client.runId!;
      // The client's stream has ended; the run goes on. Kill the worker that holds it.
      const victim = await workerWithRun();
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = Date.now();
      victim.child.kill('SIGKILL');

      let row: { status: string; mode: string; attempt: number } | undefined;
      expect(
        await waitUntil(async () => {
          row = (await db.query<{ status: string; mode: string; attempt: number }>(`SELECT status, mode, attempt FROM "Run" WHERE id = $1`, [runId]))[0];
          return row?.status === 'succeeded';
        }, 20000, 100),
      ).toBe(true);
      log(`worker kill -9 during a background run -> finished on another worker ${Date.now() - killedAt} ms after the kill`);
      expect(row).toMatchObject({ status: 'succeeded', mode: 'background' });
      expect(row!.attempt).toBeGreaterThanOrEqual(2);
      // One answer in the conversation: what the first worker wrote, continued by the second, ending in the answer.
      const messages = await db.query<{ content: string }>(`SELECT content FROM "Message" WHERE "runId" = $1 AND role = 'assistant'`, [runId]);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.content).toMatch(/^s0\. s1\. [\s\S]*done\.$/);
      await startWorker(); // back to two workers
    } finally {
      upstream.setReply(continuingReply(50));
    }
  }, 120000);

  it('(c) SIGTERM to a gateway with open streams: it keeps answering new requests 503 shutting_down while the open streams finish', async () => {
    const url = gateway.urls.gateway!;
    let streaming = 0;
    const open = Array.from({ length: 5 }, () =>
      streamChat(url, KEY, {
        onText: (_t, r) => {
          if (r.times.length === 1) streaming++;
        },
      }),
    );
    // Every stream is mid-answer when the signal comes...
    expect(await waitUntil(() => streaming === 5, 10000)).toBe(true);
    const stopping = gateway.stop('SIGTERM');
    // ...and the gateway has begun draining before the late request is sent.
    expect(await waitUntil(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 503, 10000)).toBe(true);
    const late = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content: 'late' }] }),
    });
    const body = (await late.json()) as { error: { code: string; type: string } };
    const readyz = await fetch(`${url}/readyz`);
    log(`gateway SIGTERM -> new request: HTTP ${late.status} ${body.error.code} (Retry-After ${late.headers.get('retry-after')}, Connection: ${late.headers.get('connection')}); /readyz ${readyz.status}`);
    expect(late.status).toBe(503);
    expect(body.error).toMatchObject({ code: 'shutting_down', type: 'service_unavailable' });
    expect(Number(late.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(late.headers.get('connection')).toBe('close');
    expect(readyz.status).toBe(503);
    const results = await Promise.all(open);
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.text).toBe(ANSWER);
    }
    expect(await stopping).toBe(0);
    // Closed once the streams are done.
    expect(await fetch(`${url}/healthz`).then(() => 'answered', () => 'refused')).toBe('refused');
  }, 120000);

});
