import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ANSWER, activeRuns, continuingReply, createTestDatabase, resumeRun, type StreamResult, streamChat, waitUntil, tearDown } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * Runs a gateway runs itself (server.inline_runs), with real processes: two gateways, an api and a worker (the
 * BUILT platform) on the shared Redis and a PostgreSQL database of their own, in front of a fake upstream that
 * streams slowly and honours continuation. The worker never runs these calls unless a gateway gives one up.
 */
const KEY = 'sb-e2e-inline-key';
const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-inline-'));
const prefix = `sbinline-${randomUUID().slice(0, 8)}`;
let upstream: FakeUpstream;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let env: Record<string, string>;
const gateways: PlatformProcess[] = [];
let worker: PlatformProcess;
let api: PlatformProcess;
const all: PlatformProcess[] = [];

const log = (line: string): void => void process.stdout.write(`[fault] ${line}\n`);

async function start(app: string): Promise<PlatformProcess> {
  const p = await startPlatformProcess({ configYaml: null, app, env, prefix, dir });
  all.push(p);
  return p;
}

const runRow = async (runId: string) =>
  (await db.query<{ status: string; attempt: number }>(`SELECT status, attempt FROM "Run" WHERE id = $1`, [runId]))[0];

beforeAll(async () => {
  db = await createTestDatabase();
  // `flaky` answers 503 the first time it sees a prompt, then streams like `m1`.
  const seen = new Set<string>();
  const answer = continuingReply(50);
  upstream = await startFakeUpstream({
    reply: (req: FakeRequest) => {
      const body = req.body as { model: string; messages: { content: string }[] };
      const prompt = body.messages[0]!.content;
      if (body.model === 'flaky' && !seen.has(prompt)) {
        seen.add(prompt);
        return { type: 'http-error', status: 503, message: 'overloaded' };
      }
      return answer(req);
    },
  });
  const config = path.join(dir, 'inline.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, shutdown_grace_ms: 500, heartbeat_ms: 1000 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
auth: { api_key: ${KEY} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1, flaky] }
rate_limit: { enabled: false }
queue: { concurrency: 8, lock_ms: 2000, stalled_interval_ms: 1000, heartbeat_ms: 500, stale_after_ms: 4000, attempts: 3 }
`,
  );
  env = { SWITCHBOARD_CONFIG: config, DATABASE_URL: db.url };
  worker = await start('worker');
  api = await start('api');
  gateways.push(await start('gateway'), await start('gateway'));
}, 120000);

afterAll(async () => {
  await tearDown(all, upstream, db);
}, 60000);

describe('runs a gateway runs itself', () => {
  it('streams and records a plain call without any worker running it', async () => {
    let midway: Promise<number> | undefined;
    const result = await streamChat(gateways[0]!.urls.gateway!, KEY, {
      onText: (_t, r) => {
        // Mid-answer (3 s long), the worker holds no run: the gateway runs it.
        if (r.times.length === 10) midway = activeRuns(worker.urls.worker!);
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.text).toBe(ANSWER);
    expect(await midway).toBe(0);
    // The worker only wrote the record.
    expect(await waitUntil(async () => (await runRow(result.runId!))?.status === 'succeeded', 5000)).toBe(true);
    expect(await runRow(result.runId!)).toEqual({ status: 'succeeded', attempt: 1 });
    const messages = await db.query<{ content: string }>(`SELECT content FROM "Message" WHERE "runId" = $1 AND role = 'assistant'`, [result.runId]);
    expect(messages).toEqual([{ content: ANSWER }]);
  }, 30000);

  it('beyond server.inline_runs, runs go through the queue to a worker', async () => {
    const config = path.join(dir, 'inline-one.yaml');
    writeFileSync(config, readFileSync(env.SWITCHBOARD_CONFIG!, 'utf8').replace('server: { host: 127.0.0.1,', 'server: { host: 127.0.0.1, inline_runs: 1,'));
    const small = await startPlatformProcess({ configYaml: null, app: 'gateway', env: { ...env, SWITCHBOARD_CONFIG: config }, prefix, dir });
    all.push(small);
    let started = 0;
    const streams = Array.from({ length: 3 }, () =>
      streamChat(small.urls.gateway!, KEY, {
        onText: (_t, r) => {
          if (r.times.length === 1) started++;
        },
      }),
    );
    expect(await waitUntil(() => started === 3, 10000)).toBe(true);
    // One runs on the gateway, the other two on the worker.
    expect(await activeRuns(worker.urls.worker!)).toBe(2);
    for (const r of await Promise.all(streams)) expect(r.text).toBe(ANSWER);
    await small.stop('SIGTERM');
  }, 30000);

  it("a provider that fails before answering: the gateway's router retries it in the run; the client gets the whole answer, both attempts recorded", async () => {
    const before = upstream.requests.length;
    const result = await streamChat(gateways[0]!.urls.gateway!, KEY, { model: 'fake/flaky' });
    expect(result.errors).toEqual([]);
    expect(result.done).toBe(true);
    expect(result.text).toBe(ANSWER);
    expect(upstream.requests.length).toBe(before + 2);
    expect(await waitUntil(async () => (await runRow(result.runId!))?.status === 'succeeded', 5000)).toBe(true);
    // One run attempt (no hand-over to the queue), two provider attempts: the 503, then the answer.
    expect(await runRow(result.runId!)).toEqual({ status: 'succeeded', attempt: 1 });
    const calls = await db.query<{ outcome: string; error: string | null }>(
      `SELECT outcome, error FROM "ProviderCall" WHERE "runId" = $1 ORDER BY "createdAt", id`,
      [result.runId],
    );
    expect(calls.map((c) => c.outcome)).toEqual(['error', 'ok']);
    expect(calls[0]!.error).toMatch(/503/);
  }, 30000);

  it('kill -9 of the gateway mid-stream: a worker takes the run over, the client resumes on the other gateway with the whole answer, recorded once', async () => {
    const victim = gateways[0]!;
    let killedAt = 0;
    let seen: StreamResult | undefined;
    await streamChat(victim.urls.gateway!, KEY, {
      onText: (_text, r) => {
        seen = r;
        if (r.times.length === 12 && !killedAt) {
          killedAt = Date.now();
          victim.child.kill('SIGKILL');
        }
      },
    }).catch(() => undefined); // the connection dies with the gateway
    expect(killedAt).toBeGreaterThan(0);
    const result = seen!;
    expect(result.done).toBe(false);
    expect(result.lastEventId).not.toBeNull();
    // The client comes back through the other gateway, after the last event it saw.
    await resumeRun(gateways[1]!.urls.gateway!, KEY, result);
    expect(result.errors).toEqual([]);
    expect(result.done).toBe(true);
    expect(result.text).toBe(ANSWER);
    const resumedAt = result.times.find((t) => t > killedAt) ?? NaN;
    log(`gateway kill -9 during an inline run -> next text on the resumed client after ${resumedAt - killedAt} ms (lease = lock_ms 2000, watchdog scan every 1000)`);
    expect(await waitUntil(async () => (await runRow(result.runId!))?.status === 'succeeded', 5000)).toBe(true);
    expect(await runRow(result.runId!)).toEqual({ status: 'succeeded', attempt: 2 });
    const messages = await db.query<{ content: string }>(`SELECT content FROM "Message" WHERE "runId" = $1 AND role = 'assistant'`, [result.runId]);
    expect(messages).toEqual([{ content: ANSWER }]);
    gateways[0] = await start('gateway');
  }, 60000);

  it('cancelling through the API stops a run a gateway runs: the stream ends `cancelled`, the upstream call is closed, the run is recorded cancelled', async () => {
    const upstreamBefore = upstream.requests.length;
    let runId: string | null = null;
    const stream = streamChat(gateways[1]!.urls.gateway!, KEY, {
      onText: (_t, r) => {
        runId = r.runId;
      },
    });
    expect(await waitUntil(() => runId !== null, 5000)).toBe(true);
    // While it runs, the API knows it (no row yet: it is written when the run ends).
    const running = await fetch(`${api.urls.api}/api/runs/${runId}`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(running.status).toBe(200);
    expect(((await running.json()) as { status: string }).status).toBe('running');
    const cancel = await fetch(`${api.urls.api}/api/runs/${runId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    expect(cancel.status).toBe(202);
    const result = await stream;
    expect(result.done).toBe(true);
    expect(result.text.length).toBeLessThan(ANSWER.length);
    expect(result.errors).toEqual([expect.objectContaining({ code: 'cancelled' })]);
    expect(upstream.requests.length).toBe(upstreamBefore + 1);
    expect(await waitUntil(async () => (await runRow(runId!))?.status === 'cancelled', 5000)).toBe(true);
  }, 30000);

  it('SIGTERM to a gateway with a run it cannot finish in its grace: a worker continues the run, the client resumes elsewhere', async () => {
    const victim = gateways[1]!;
    let seen: StreamResult | undefined;
    let stoppedAt = 0;
    const first = streamChat(victim.urls.gateway!, KEY, {
      onText: (_t, r) => {
        seen = r;
        if (r.times.length === 5 && !stoppedAt) {
          stoppedAt = Date.now();
          void victim.stop('SIGTERM');
        }
      },
    }).catch(() => undefined);
    await first;
    const result = seen!;
    expect(result.done).toBe(false);
    await resumeRun(gateways[0]!.urls.gateway!, KEY, result);
    expect(result.errors).toEqual([]);
    expect(result.text).toBe(ANSWER);
    expect(await waitUntil(async () => (await runRow(result.runId!))?.status === 'succeeded', 5000)).toBe(true);
    log(`gateway SIGTERM (grace 500 ms) during an inline run -> run finished by a worker ${result.times.at(-1)! - stoppedAt} ms later`);
  }, 60000);
});
