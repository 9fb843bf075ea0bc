import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeReply, type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './fault-support.js';
import { cleanUp, type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * The scale-out shape: two gateways and two workers as separate processes sharing one Redis and one
 * PostgreSQL database. Any gateway's request may run on any worker; every answer comes back whole.
 */
const KEY = 'sb-e2e-scale-key';
const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-scale-'));
const prefix = `sbscale-${randomUUID().slice(0, 8)}`;
let upstream: FakeUpstream;
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
const procs: PlatformProcess[] = [];

const reply = (req: FakeRequest): FakeReply => {
  const last = (req.body as { messages: { content: string }[] }).messages.at(-1)!.content;
  return { type: 'completion', chunks: [...last], deltaDelayMs: 2 };
};

beforeAll(async () => {
  database = await createTestDatabase();
  upstream = await startFakeUpstream({ reply });
  const config = path.join(dir, 'scale.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, inline_runs: 0, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
auth: { api_key: ${KEY} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1] }
auto_pick: { priority: [fake] }
queue: { concurrency: 4 }
`,
  );
  const env = { SWITCHBOARD_CONFIG: config, DATABASE_URL: database.url };
  // Workers first: the first one applies the migrations, the second finds them applied.
  for (const app of ['worker', 'worker', 'gateway', 'gateway']) {
    procs.push(await startPlatformProcess({ configYaml: null, app, env, prefix, dir }));
  }
}, 120000);

afterAll(async () => {
  for (const p of procs.reverse()) await p.stop();
  await cleanUp(procs[0]);
  await upstream?.close();
  await database?.drop();
});

describe('scale-out: 2 gateways and 2 workers on shared Redis and PostgreSQL', () => {
  it('answers every request through either gateway, with work spread over both workers', async () => {
    const gateways = procs.filter((p) => p.urls.gateway).map((p) => new OpenAI({ baseURL: `${p.urls.gateway}/v1`, apiKey: KEY, maxRetries: 0 }));
    expect(gateways).toHaveLength(2);
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const content = `req-${i}-${'y'.repeat(i % 5)}`;
        const stream = await gateways[i % 2]!.chat.completions.create({ model: 'fake/m1', stream: true, messages: [{ role: 'user', content }] });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        return { content, text };
      }),
    );
    for (const r of results) expect(r.text).toBe(r.content);
    // A job completes once its run is recorded, just after the client has [DONE]: poll (up to 15 s, for a busy machine).
    const jobsDone = () =>
      Promise.all(
        procs
          .filter((p) => p.urls.worker)
          .map(async (p) => {
            const metrics = await (await fetch(`${p.urls.worker}/metrics`)).text();
            return Number(/switchboard_jobs_total\{name="run.chat",outcome="ok",app="worker"\} (\d+)/.exec(metrics)?.[1] ?? 0);
          }),
      );
    let jobsPerWorker = await jobsDone();
    for (let i = 0; i < 150 && jobsPerWorker.reduce((a, b) => a + b, 0) < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      jobsPerWorker = await jobsDone();
    }
    expect(jobsPerWorker.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.min(...jobsPerWorker)).toBeGreaterThan(0);
  });
});
