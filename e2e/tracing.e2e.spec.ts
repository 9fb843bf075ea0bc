import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { continuingReply, createTestDatabase, type StreamResult, streamChat, tearDown, waitUntil } from './fault-support.js';
import { cleanUp, type PlatformProcess, startPlatformProcess } from './platform-process.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * OpenTelemetry end to end: the BUILT platform (all apps in one process) with OTEL_EXPORTER_OTLP_ENDPOINT set
 * exports its spans by OTLP/HTTP (JSON) to a collector on loopback. A request that sends a `traceparent` gets its
 * spans in that trace: the gateway's request, the provider attempt of an inline run; for a queued run (an agent)
 * the queue hop, the worker's job and its attempt. Log lines written inside carry the trace id. A run its gateway
 * gave up (SIGTERM mid-answer) stays in its trace when a worker takes it over, in a gateway and a worker of their
 * own on PostgreSQL.
 */

const KEY = 'sb-e2e-tracing-key';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }[];
}

const spans: OtlpSpan[] = [];
let collector: Server;
let upstream: FakeUpstream;
let platform: PlatformProcess;

/** OTLP/JSON ids are hex; some encoders send base64. */
const hex = (id: string | undefined): string | undefined => (id === undefined || id === '' ? undefined : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));
const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue);
};

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of payload.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, traceId: hex(s.traceId)!, spanId: hex(s.spanId)!, ...(hex(s.parentSpanId) ? { parentSpanId: hex(s.parentSpanId) } : {}) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
  upstream = await startFakeUpstream({ reply: { type: 'completion', chunks: ['traced ', 'answer'] } });
  platform = await startPlatformProcess({
    configYaml: ({ dir, prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { api_key: ${KEY} }
providers:
  - { name: remote, type: openai-compatible, base_url: ${upstream.url}, models: [m1] }
auto_pick: { priority: [remote] }
agents:
  - { name: helper, model: remote/m1, system_prompt: Be brief. }
`,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'switchboard-e2e',
      LOG_LEVEL: 'debug',
    },
  });
}, 120000);

afterAll(async () => {
  await platform?.stop();
  await cleanUp(platform);
  await upstream?.close();
  await new Promise<void>((r) => collector?.close(() => r()));
}, 60000);

async function ask(model: string, traceId: string, parentId: string): Promise<string> {
  const res = await fetch(`${platform.urls.gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01` },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toContain('[DONE]');
  return res.headers.get('x-run-id')!;
}

const inTrace = (traceId: string) => spans.filter((s) => s.traceId === traceId);
const child = (of: OtlpSpan | undefined, name: RegExp) => spans.find((s) => s.parentSpanId === of?.spanId && name.test(s.name));

describe('tracing with an OTLP endpoint', () => {
  it("an inline run: the gateway's request span continues the caller's traceparent, the provider attempt is its child", async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const runId = await ask('remote/m1', traceId, parentId);
    expect(await waitUntil(() => inTrace(traceId).some((s) => s.name === 'chat remote/m1'), 10000)).toBe(true);
    const request = inTrace(traceId).find((s) => s.name === 'POST /v1/chat/completions');
    expect(request).toBeDefined();
    expect(request!.parentSpanId).toBe(parentId);
    expect(request!.kind).toBe(2); // SERVER
    expect(attr(request!, 'http.response.status_code')).toBe(200);
    expect(attr(request!, 'switchboard.run_id')).toBe(runId);
    const attempt = child(request, /^chat remote\/m1$/);
    expect(attempt?.kind).toBe(3); // CLIENT
    expect(attr(attempt!, 'switchboard.outcome')).toBe('ok');
    expect(attr(attempt!, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
    // Nothing of this run went through the queue.
    expect(inTrace(traceId).some((s) => s.name === 'publish runs')).toBe(false);
  }, 30000);

  it('a queued run: request -> queue hop (producer) -> worker job (consumer) -> provider attempt, one trace across the hop', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const runId = await ask('helper', traceId, parentId);
    expect(await waitUntil(() => inTrace(traceId).some((s) => s.name === 'process run.chat') && inTrace(traceId).some((s) => s.name === 'chat remote/m1'), 10000)).toBe(true);
    const request = inTrace(traceId).find((s) => s.name === 'POST /v1/chat/completions');
    expect(request?.parentSpanId).toBe(parentId);
    const hop = child(request, /^publish runs$/);
    expect(hop?.kind).toBe(4); // PRODUCER
    expect(attr(hop!, 'switchboard.run_id')).toBe(runId);
    const job = child(hop, /^process run\.chat$/);
    expect(job?.kind).toBe(5); // CONSUMER
    expect(attr(job!, 'switchboard.run_id')).toBe(runId);
    expect(child(job, /^chat remote\/m1$/)).toBeDefined();
    // The worker's log lines for this run carry its trace id.
    expect(await waitUntil(() => platform.output().split('\n').some((l) => l.includes(runId) && l.includes(`"trace_id":"${traceId}"`)), 5000)).toBe(true);
  }, 30000);

  it('a request without traceparent starts a trace of its own', async () => {
    const before = spans.length;
    const res = await fetch(`${platform.urls.gateway}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    expect(await waitUntil(() => spans.slice(before).some((s) => s.name === 'GET /v1/models'), 10000)).toBe(true);
    const span = spans.slice(before).find((s) => s.name === 'GET /v1/models')!;
    expect(span.parentSpanId).toBeUndefined();
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
  }, 30000);
});

describe('tracing across a hand-over', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-trace-handover-'));
  const prefix = `sbtrace-${randomBytes(4).toString('hex')}`;
  let slow: FakeUpstream;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const procs: PlatformProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // 60 words, 50 ms apart, continuing from a partial answer: a 3 s answer a worker can take over mid-way.
    slow = await startFakeUpstream({ reply: continuingReply(50) });
    const config = path.join(dir, 'handover.yaml');
    writeFileSync(
      config,
      `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, shutdown_grace_ms: 500 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
auth: { api_key: ${KEY} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${slow.url}, models: [m1] }
rate_limit: { enabled: false }
queue: { lock_ms: 2000, stalled_interval_ms: 1000, heartbeat_ms: 500, stale_after_ms: 4000 }
`,
    );
    const env = {
      SWITCHBOARD_CONFIG: config,
      DATABASE_URL: db.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    for (const app of ['worker', 'gateway']) procs.push(await startPlatformProcess({ configYaml: null, app, env, prefix, dir }));
  }, 120000);

  afterAll(async () => {
    await tearDown(procs, slow, db);
  }, 60000);

  it('a gateway stopped mid-answer: the worker that takes the run over publishes and runs it under the request\'s span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const gateway = procs[1]!;
    let seen: StreamResult | undefined;
    await streamChat(gateway.urls.gateway!, KEY, {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
      onText: (_t, r) => {
        seen = r;
        if (r.times.length === 5) void gateway.stop('SIGTERM');
      },
    }).catch(() => undefined);
    expect(seen?.done).toBe(false);
    const runId = seen!.runId!;
    // The gateway's spans leave as it closes; the worker's once it has finished the run.
    expect(await waitUntil(() => inTrace(traceId).some((s) => s.name === 'chat fake/m1' && spans.some((j) => j.spanId === s.parentSpanId && j.name === 'process run.chat')), 20000)).toBe(true);
    const request = inTrace(traceId).find((s) => s.name === 'POST /v1/chat/completions');
    expect(request?.parentSpanId).toBe(parentId);
    expect(attr(request!, 'switchboard.run_id')).toBe(runId);
    // The gateway's own attempt, cut by its shutdown, and the worker's: both under the request.
    expect(child(request, /^chat fake\/m1$/)).toBeDefined();
    const hop = child(request, /^publish runs$/);
    expect(hop?.kind).toBe(4); // PRODUCER, from the worker that claimed the expired lease
    expect(attr(hop!, 'switchboard.run_id')).toBe(runId);
    const job = child(hop, /^process run\.chat$/);
    expect(job?.kind).toBe(5); // CONSUMER
    expect(attr(job!, 'switchboard.run_id')).toBe(runId);
    expect(child(job, /^chat fake\/m1$/)).toBeDefined();
  }, 60000);
});
