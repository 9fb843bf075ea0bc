import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeReply, type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ANSWER, continuingReply, createTestDatabase, tearDown, waitUntil } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * The router end to end, with the BUILT platform: two gateways (one runs plain calls itself, the other sends
 * every run through the queue), a worker and an api on the shared Redis and a PostgreSQL database of their own,
 * in front of fake upstreams over HTTP. Every fault of the primary provider must end as the whole answer from a
 * fallback, or, without one, as a visible error: never as a truncated `stop`.
 */
const KEY = 'sb-e2e-router-key';
const ADMIN = 'sb-e2e-router-admin';
const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-router-'));
const prefix = `sbrouter-${randomUUID().slice(0, 8)}`;
let primary: FakeUpstream;
let backup: FakeUpstream;
let instruct: FakeUpstream;
let shaky: FakeUpstream;
let shakyFails = true;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const all: PlatformProcess[] = [];
let inlineGw: PlatformProcess;
let queuedGw: PlatformProcess;
let api: PlatformProcess;

const log = (line: string): void => void process.stdout.write(`[router] ${line}\n`);
const words = (text: string): string[] => text.match(/\s*\S+/g) ?? [];

/** The primary's faults, by model name; each streams a prefix of ANSWER before failing, or fails before it. */
function primaryReply(req: FakeRequest): FakeReply {
  const model = (req.body as { model: string }).model;
  const chunks = words(ANSWER);
  switch (model) {
    case 'err500':
      return { type: 'http-error', status: 500, message: 'boom' };
    case 'r429':
      return { type: 'http-error', status: 429, message: 'slow down', retryAfter: '1' };
    case 'r429n':
      return { type: 'http-error', status: 429, message: 'slow down' };
    case 'bad400':
      return { type: 'http-error', status: 400, message: 'your request is wrong' };
    case 'silent':
      return { type: 'completion', chunks, firstByteDelayMs: 5000 };
    case 'cut':
      return { type: 'completion', chunks, dropAfterDeltas: 12, deltaDelayMs: 5 };
    case 'stall':
      return { type: 'completion', chunks, hangAfterDeltas: 12, deltaDelayMs: 5 };
    case 'malformed':
      return { type: 'completion', chunks, malformedAfterDeltas: 12, deltaDelayMs: 5 };
    case 'nodone':
      return { type: 'completion', chunks, endAfterDeltas: 12, deltaDelayMs: 5 };
    default:
      return { type: 'completion', chunks };
  }
}

/** A provider that, asked in words to continue, starts again a few words back (as models do). */
function instructReply(req: FakeRequest): FakeReply {
  const messages = (req.body as { messages: { role: string; content: string }[] }).messages;
  const partial = messages.at(-2)?.role === 'assistant' ? messages.at(-2)!.content : '';
  const restartAt = Math.max(0, partial.lastIndexOf(' ', partial.length - 8));
  return { type: 'completion', chunks: words(ANSWER.slice(restartAt)) };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  finish: string | null;
  model: string | null;
  errors: { message: string; code: string | null }[];
  done: boolean;
  runId: string | null;
}

async function ask(gateway: PlatformProcess, body: Record<string, unknown>, headers: Record<string, string> = {}, key = KEY): Promise<Answer> {
  const res = await fetch(`${gateway.urls.gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: `q-${randomUUID()}` }], ...body }),
  });
  const out: Answer = { status: res.status, headers: res.headers, text: '', finish: null, model: null, errors: [], done: false, runId: res.headers.get('x-run-id') };
  const raw = await res.text();
  if (res.status !== 200) {
    out.errors.push((JSON.parse(raw) as { error: Answer['errors'][number] }).error);
    return out;
  }
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6);
    if (data === '[DONE]') {
      out.done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { error?: Answer['errors'][number]; model?: string; choices?: { delta?: { content?: string }; finish_reason?: string | null }[] };
    if (chunk.error) out.errors.push(chunk.error);
    if (chunk.model) out.model = chunk.model;
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) out.text += choice.delta.content;
    if (choice?.finish_reason) out.finish = choice.finish_reason;
  }
  return out;
}

const calls = async (runId: string) =>
  db.query<{ provider: string; model: string; outcome: string; cached: boolean; error: string | null }>(
    `SELECT provider, model, outcome, cached, error FROM "ProviderCall" WHERE "runId" = $1 ORDER BY "createdAt", id`,
    [runId],
  );
const recorded = (runId: string) => waitUntil(async () => (await calls(runId)).length > 0, 10000);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

beforeAll(async () => {
  db = await createTestDatabase();
  primary = await startFakeUpstream({ reply: primaryReply });
  backup = await startFakeUpstream({ reply: continuingReply(0) });
  instruct = await startFakeUpstream({ reply: instructReply });
  shaky = await startFakeUpstream({ reply: () => (shakyFails ? { type: 'http-error', status: 500, message: 'down' } : { type: 'completion', chunks: words(ANSWER) }) });
  const refused = await closedPort();
  const config = path.join(dir, 'router.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, shutdown_grace_ms: 500, heartbeat_ms: 1000 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
auth: { api_key: ${KEY}, admin_key: ${ADMIN} }
providers:
  - { name: primary, type: openai-compatible, base_url: ${primary.url}, models: [m1, err500, r429, r429n, bad400, silent, cut, stall, malformed, nodone],
      first_token_timeout_ms: 700, idle_timeout_ms: 700, circuit_breaker: { enabled: false } }
  - { name: refused, type: openai-compatible, base_url: http://127.0.0.1:${refused}/v1, models: [m1], circuit_breaker: { enabled: false } }
  - { name: backup, type: openai-compatible, base_url: ${backup.url}, models: [m1], pricing: { m1: { input: 1, output: 2 } } }
  - { name: wordy, type: openai-compatible, base_url: ${instruct.url}, models: [m1], continuation: instruct }
  - { name: shaky, type: openai-compatible, base_url: ${shaky.url}, models: [m1], circuit_breaker: { failure_threshold: 2, cooldown_ms: 3000 } }
auto_pick: { priority: [refused, backup], max_retries: 1, backoff_ms: 50 }
cache: { enabled: true, ttl_seconds: 2, max_size: 100 }
rate_limit: { enabled: true, requests_per_minute: 100000 }
queue: { concurrency: 8, lock_ms: 2000, stalled_interval_ms: 1000, heartbeat_ms: 500, stale_after_ms: 4000, attempts: 3 }
`,
  );
  const env = { SWITCHBOARD_CONFIG: config, DATABASE_URL: db.url };
  const start = async (app: string, extra: Record<string, string> = {}) => {
    const p = await startPlatformProcess({ configYaml: null, app, env: { ...env, ...extra }, prefix, dir });
    all.push(p);
    return p;
  };
  await start('worker');
  api = await start('api');
  inlineGw = await start('gateway');
  queuedGw = await start('gateway', { SWITCHBOARD__SERVER__INLINE_RUNS: '0' });
}, 120000);

afterAll(async () => {
  await tearDown(all, { close: async () => void (await Promise.all([primary, backup, instruct, shaky].map((u) => u?.close()))) }, db);
}, 60000);

const faults = ['err500', 'r429', 'r429n', 'silent', 'cut', 'stall', 'malformed', 'nodone'] as const;
const paths = [
  ['inline', () => inlineGw],
  ['queued', () => queuedGw],
] as const;

describe.each(paths)('the router on the %s path', (name, gateway) => {
  it.each(faults)('primary fault %s with a fallback: the whole answer, once, from the fallback', async (fault) => {
    const a = await ask(gateway(), { model: `primary/${fault}`, models: ['backup/m1'] });
    expect(a.errors).toEqual([]);
    expect(a.text).toBe(ANSWER);
    expect(a.finish).toBe('stop');
    expect(a.done).toBe(true);
    expect(a.model).toBe('backup/m1');
    expect(await recorded(a.runId!)).toBe(true);
    const rows = await calls(a.runId!);
    expect(rows.at(-1)).toMatchObject({ provider: 'backup', outcome: 'ok' });
    expect(rows.slice(0, -1).every((r) => r.provider === 'primary' && r.outcome === 'error')).toBe(true);
    log(`${name} ${fault} -> ${rows.map((r) => `${r.provider}:${r.outcome}`).join(', ')}`);
  }, 30000);

  it.each(faults)('primary fault %s without a fallback: a visible error, never a truncated stop', async (fault) => {
    const a = await ask(gateway(), { model: `primary/${fault}` });
    expect(a.finish).not.toBe('stop');
    expect(a.errors.length).toBe(1);
    expect(a.text.length).toBeLessThan(ANSWER.length);
  }, 30000);

  it('a connection refused under auto moves on to the next provider of the priority', async () => {
    const a = await ask(gateway(), { model: 'auto' });
    expect(a.text).toBe(ANSWER);
    expect(a.model).toBe('backup/m1');
    expect(await recorded(a.runId!)).toBe(true);
    // Two tries of the refused one (max_retries 1), then the answer.
    expect((await calls(a.runId!)).map((r) => `${r.provider}:${r.outcome}`)).toEqual(['refused:error', 'refused:error', 'backup:ok']);
  }, 30000);

  it('a 400 moves on at once (no retry of the same provider)', async () => {
    const a = await ask(gateway(), { model: 'primary/bad400', models: ['backup/m1'] });
    expect(a.text).toBe(ANSWER);
    expect(await recorded(a.runId!)).toBe(true);
    expect((await calls(a.runId!)).map((r) => `${r.provider}:${r.outcome}`)).toEqual(['primary:error', 'backup:ok']);
  }, 30000);

  it('a provider that needs asking in words: the continuation drops what it repeats', async () => {
    const a = await ask(gateway(), { model: 'primary/cut', models: ['wordy/m1'] });
    expect(a.errors).toEqual([]);
    expect(a.text).toBe(ANSWER);
  }, 30000);
});

describe('circuit breaker shared by two gateways', () => {
  it('opens after failure_threshold failures on one gateway, is skipped on the other, and closes after a good probe', async () => {
    shakyFails = true;
    for (let i = 0; i < 2; i++) {
      const a = await ask(inlineGw, { model: 'shaky/m1', models: ['backup/m1'] }, { 'cache-control': 'no-cache' });
      expect(a.text).toBe(ANSWER);
    }
    const before = shaky.requests.length;
    const skipped = await ask(queuedGw, { model: 'shaky/m1', models: ['backup/m1'] });
    expect(skipped.text).toBe(ANSWER);
    expect(shaky.requests.length).toBe(before);
    // Within the cooldown (3 s): the api and the other gateway's metrics show it open.
    const providers = await fetch(`${api.urls.api}/api/providers`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const listed = (await providers.json()) as { data: { name: string; circuit: { state: string } }[] };
    expect(listed.data.find((p) => p.name === 'shaky')?.circuit.state).toBe('open');
    const metrics = await (await fetch(`${queuedGw.urls.gateway}/metrics`)).text();
    expect(metrics).toContain('switchboard_circuit_state{provider="shaky",app="gateway"} 2');
    expect(await recorded(skipped.runId!)).toBe(true);
    expect((await calls(skipped.runId!))[0]).toMatchObject({ provider: 'shaky', outcome: 'skipped' });
    // After the cooldown one probe goes through; it answers, and the circuit closes for both gateways.
    shakyFails = false;
    await waitUntil(async () => {
      const r = await fetch(`${api.urls.api}/api/providers`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return ((await r.json()) as typeof listed).data.find((p) => p.name === 'shaky')?.circuit.state === 'half-open';
    }, 10000, 100);
    const probe = await ask(queuedGw, { model: 'shaky/m1', models: ['backup/m1'] });
    expect(probe.model).toBe('shaky/m1');
    expect(shaky.requests.length).toBe(before + 1);
    const next = await ask(inlineGw, { model: 'shaky/m1' });
    expect(next.text).toBe(ANSWER);
    expect(next.errors).toEqual([]);
  }, 30000);
});

describe('response cache shared by two gateways', () => {
  const question = { model: 'backup/m1', stream: true, messages: [{ role: 'user', content: `cache-${randomUUID()}` }] };

  it('answers a repeat from the cache on the other gateway, streaming, marked and recorded as cached', async () => {
    const first = await ask(inlineGw, question);
    expect(first.headers.get('x-cache')).toBe('MISS');
    // The answer is stored as the run closes, before its record is written.
    expect(await recorded(first.runId!)).toBe(true);
    const before = backup.requests.length;
    const hit = await ask(queuedGw, question);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.text).toBe(ANSWER);
    expect(hit.finish).toBe('stop');
    expect(backup.requests.length).toBe(before);
    expect(await recorded(hit.runId!)).toBe(true);
    expect(await calls(hit.runId!)).toEqual([expect.objectContaining({ provider: 'backup', outcome: 'ok', cached: true })]);
    const json = await fetch(`${inlineGw.urls.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...question, stream: false }),
    });
    expect(json.headers.get('x-cache')).toBe('HIT');
    expect(((await json.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(ANSWER);
    const metrics = await (await fetch(`${queuedGw.urls.gateway}/metrics`)).text();
    expect(metrics).toMatch(/^switchboard_cache_lookups_total\{result="hit",app="gateway"\} [1-9]/m);
  }, 30000);

  it('is bypassed by Cache-Control: no-cache, never used with tools, and expires after ttl_seconds', async () => {
    const before = backup.requests.length;
    const bypass = await ask(inlineGw, question, { 'cache-control': 'no-cache' });
    expect(bypass.headers.get('x-cache')).toBe('MISS');
    expect(backup.requests.length).toBe(before + 1);
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    const withTools = { ...question, messages: [{ role: 'user', content: `tools-${randomUUID()}` }], tools };
    await ask(inlineGw, withTools);
    const again = await ask(inlineGw, withTools);
    expect(again.headers.get('x-cache')).toBe('MISS');
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await ask(queuedGw, question);
    expect(expired.headers.get('x-cache')).toBe('MISS');
  }, 30000);
});

describe('rate limits shared by two gateways', () => {
  it("counts a key's requests on every gateway, and answers 429 with Retry-After and OpenAI's headers", async () => {
    const created = await fetch(`${api.urls.api}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'limited', rate_limit_per_minute: 3 }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    // Windows are fixed minutes: four requests that straddle the start of a minute count in two of them.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
    const seen: Answer[] = [];
    for (const gw of [inlineGw, queuedGw, inlineGw, queuedGw]) seen.push(await ask(gw, { model: 'backup/m1' }, {}, key));
    expect(seen.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(seen[0]!.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(seen[2]!.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const refused = seen[3]!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(m\d+)?s$|^\d+ms$/);
    expect(refused.errors[0]).toMatchObject({ code: 'rate_limit_exceeded' });
  }, 60_000);
});

/** The value of the series of a Prometheus text with all of `labels` (`a="1",b="2"`, in any order), or 0. */
function sample(text: string, name: string, labels: string): number {
  const wanted = labels.split(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.slice(name.length + 1, l.indexOf('}')).split(',').includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('metrics', () => {
  it("count each app's provider attempts, first tokens, tokens, cost and fallbacks, one naming scheme with an app label", async () => {
    const worker = all.find((p) => p.urls.worker)!;
    const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
    const before = { gateway: await scrape(inlineGw.urls.gateway!), worker: await scrape(worker.urls.worker!) };
    for (const gw of [inlineGw, queuedGw]) {
      const a = await ask(gw, { model: 'primary/err500', models: ['backup/m1'] });
      expect(a.text).toBe(ANSWER);
    }
    const after = { gateway: await scrape(inlineGw.urls.gateway!), worker: await scrape(worker.urls.worker!) };
    for (const [app, text] of Object.entries(after)) {
      const was = before[app as keyof typeof before];
      const delta = (name: string, labels: string) => sample(text, name, labels) - sample(was, name, labels);
      const backupOk = `provider="backup",model="m1",outcome="ok",app="${app}"`;
      expect(delta('switchboard_provider_attempts_total', backupOk)).toBe(1);
      // err500 is retried once (max_retries: 1) before the fallback.
      expect(delta('switchboard_provider_attempts_total', `provider="primary",model="err500",outcome="error",app="${app}"`)).toBe(2);
      expect(delta('switchboard_provider_ttft_seconds_count', `provider="backup",model="m1",app="${app}"`)).toBe(1);
      expect(delta('switchboard_provider_latency_seconds_count', backupOk)).toBe(1);
      expect(delta('switchboard_fallbacks_total', `from="primary",to="backup",app="${app}"`)).toBe(1);
      const out = delta('switchboard_tokens_total', `provider="backup",model="m1",direction="out",app="${app}"`);
      const inTokens = delta('switchboard_tokens_total', `provider="backup",model="m1",direction="in",app="${app}"`);
      expect(out).toBeGreaterThan(0);
      // backup's pricing: 1 per million prompt tokens, 2 per million completion tokens.
      expect(delta('switchboard_cost_usd_total', `provider="backup",model="m1",app="${app}"`)).toBeCloseTo((inTokens + 2 * out) / 1e6, 12);
      expect(text).toMatch(new RegExp(`^switchboard_circuit_state\\{provider="backup",app="${app}"\\} 0$`, 'm'));
      expect(text).toMatch(new RegExp(`^switchboard_process_cpu_seconds_total\\{app="${app}"\\} `, 'm'));
    }
    expect(sample(after.gateway, 'switchboard_runs_accepted_total', 'mode="stream",app="gateway"')).toBeGreaterThan(0);
    expect(sample(after.worker, 'switchboard_jobs_total', 'name="run.chat",outcome="ok",app="worker"')).toBeGreaterThan(0);

    // The api: its HTTP metrics and every queue's depth by BullMQ's exporter, each metric with one HELP.
    expect((await fetch(`${api.urls.api}/healthz`)).status).toBe(200);
    const apiText = await scrape(api.urls.api!);
    expect(apiText).toMatch(/^switchboard_http_requests_total\{.*app="api"\} \d+$/m);
    expect(apiText).toMatch(/^bullmq_job_count\{queue="runs", state="waiting", app="api"\} \d+$/m);
    expect(apiText).toMatch(/^bullmq_job_completed_total\{queue="runs", app="api"\} \d+$/m);
    expect(apiText.match(/^# HELP bullmq_job_count /gm)).toHaveLength(1);
  }, 60000);
});
