import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../api/client';
import { memoryAnswerStore } from './answer-store';
import { ChatStream } from './chat-stream';

/**
 * The stream and resume logic against a gateway on loopback that speaks the platform's SSE: `id:` on every
 * event, runs that go on after a client leaves, `/v1/runs/:id/events` after a `Last-Event-ID`, cancel.
 */

interface FakeRun {
  id: string;
  /** `data:` payloads, event ids 1..n; the run produces event i at `startedAt + i * delayMs`. */
  events: string[];
  delayMs: number;
  startedAt: number;
  /** The first connection is cut after this many events (no [DONE]). */
  cutAfter: number | null;
  cancelledAt: number | null;
  resumes: (string | null)[];
}

const runs = new Map<string, FakeRun>();
let server: Server;
let url: string;
let n = 0;

const chunk = (delta: object, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', model: 'fake/m1', choices: [{ index: 0, delta, finish_reason: finish }] });
const tokens = (count: number) => Array.from({ length: count }, (_, i) => `t${i} `);

/** The run a prompt asks for: `tokens:<n>:<delay ms>[:cut <k>]`, `fail:<k>`, `reason`. */
function script(prompt: string): Pick<FakeRun, 'events' | 'delayMs' | 'cutAfter'> {
  const [cmd, a = '0', b = '0', c] = prompt.split(':');
  const usage = JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', model: 'fake/m1', choices: [], usage: { prompt_tokens: 3, completion_tokens: Number(a), total_tokens: 3 + Number(a) } });
  if (cmd === 'fail') {
    return { events: [...tokens(Number(a)).map((t) => chunk({ content: t })), JSON.stringify({ error: { message: 'The provider failed: boom', type: 'upstream_error', param: null, code: 'provider_error' } })], delayMs: 5, cutAfter: null };
  }
  if (cmd === 'background') {
    const message = { ...JSON.parse(chunk({ content: 'Continuing in the background.' })), background: true };
    return { events: [chunk({ content: 'step0. ' }), JSON.stringify(message), chunk({}, 'stop')], delayMs: 5, cutAfter: null };
  }
  if (cmd === 'reason') {
    return { events: [chunk({ reasoning_content: 'Running calculator…\n' }), chunk({ reasoning_content: 'calculator → 42\n' }), chunk({ content: 'It is 42.' }), chunk({}, 'stop')], delayMs: 5, cutAfter: null };
  }
  return {
    events: [chunk({ role: 'assistant', content: '' }), ...tokens(Number(a)).map((t) => chunk({ content: t })), chunk({}, 'stop'), usage],
    delayMs: Number(b),
    cutAfter: c ? Number(c.replace('cut ', '')) : null,
  };
}

/** Writes the run's events after `after` as they become available; [DONE] at the end, unless cut. */
async function relay(run: FakeRun, res: ServerResponse, after: number, cut: number | null): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Run-Id': run.id, 'Access-Control-Expose-Headers': 'X-Run-Id' });
  res.write(': ping\n\n');
  for (let i = after + 1; i <= run.events.length; i++) {
    const due = run.startedAt + i * run.delayMs;
    while (Date.now() < due && run.cancelledAt === null) await new Promise((r) => setTimeout(r, Math.min(5, due - Date.now())));
    if (res.destroyed) return;
    if (run.cancelledAt !== null) {
      res.end(`id: ${i}\ndata: ${JSON.stringify({ error: { message: 'The run was cancelled.', type: 'cancelled', param: null, code: 'cancelled' } })}\n\ndata: [DONE]\n\n`);
      return;
    }
    const line = `id: ${i}\ndata: ${run.events[i - 1]}\n\n`;
    if (cut !== null && i === cut) {
      // Cut once the bytes left: the client has events 1..cut and no [DONE].
      await new Promise<void>((r) => res.write(line, () => r()));
      await new Promise((r) => setTimeout(r, 50));
      res.socket?.destroy();
      return;
    }
    res.write(line);
  }
  res.end('data: [DONE]\n\n');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '/';
  if (req.headers.authorization !== 'Bearer good-key') {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }));
    return;
  }
  if (req.method === 'POST' && path === '/v1/chat/completions') {
    let body = '';
    for await (const part of req) body += String(part);
    const request = JSON.parse(body) as { messages: { content: string }[]; stream_options?: unknown };
    expect(req.headers['x-on-disconnect']).toBe('continue');
    const run: FakeRun = { id: `run-${++n}`, ...script(request.messages.at(-1)!.content), startedAt: Date.now(), cancelledAt: null, resumes: [] };
    runs.set(run.id, run);
    return relay(run, res, 0, run.cutAfter);
  }
  const events = /^\/v1\/runs\/([^/]+)\/events$/.exec(path);
  if (req.method === 'GET' && events) {
    const run = runs.get(events[1]!);
    if (!run) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'No run `x` (or its events have expired).', type: 'invalid_request_error', code: 'run_not_found' } }));
      return;
    }
    const last = (req.headers['last-event-id'] as string | undefined) ?? null;
    run.resumes.push(last);
    return relay(run, res, Number(last ?? 0), null);
  }
  const cancel = /^\/api\/runs\/([^/]+)\/cancel$/.exec(path);
  if (req.method === 'POST' && cancel) {
    const run = runs.get(cancel[1]!)!;
    run.cancelledAt = Date.now();
    res.writeHead(202, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ id: run.id, status: 'running' }));
    return;
  }
  res.writeHead(404).end();
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const client = (key = 'good-key') => new ApiClient(url, key, url);
const expected = (count: number) => tokens(count).join('');

describe('ChatStream', () => {
  it('streams an answer token by token, then keeps it with its usage and who answered', async () => {
    const store = memoryAnswerStore();
    const stream = new ChatStream(client(), store, 'c1');
    const seen: string[] = [];
    stream.subscribe(() => seen.push(stream.state!.text));
    await stream.start('auto', [{ role: 'user', content: 'earlier' }, { role: 'assistant', content: 'reply' }], 'tokens:20:2');
    expect(stream.state).toMatchObject({ status: 'done', text: expected(20), finishReason: 'stop', servedBy: 'fake/m1', error: null, prompt: 'tokens:20:2', model: 'auto' });
    expect(stream.state!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 20, total_tokens: 23 });
    expect(stream.state!.runId).toMatch(/^run-/);
    // Token by token: the page saw the answer grow, never shrink or repeat.
    const distinct = [...new Set(seen)];
    expect(distinct.length).toBeGreaterThan(10);
    for (let i = 1; i < distinct.length; i++) expect(distinct[i]!.startsWith(distinct[i - 1]!)).toBe(true);
    expect(store.load('c1')).toMatchObject({ status: 'done', text: expected(20) });
  });

  it('shows tool steps as reasoning, apart from the answer', async () => {
    const stream = new ChatStream(client(), memoryAnswerStore(), 'c2');
    await stream.start('tooly', [], 'reason');
    expect(stream.state).toMatchObject({ status: 'done', text: 'It is 42.', reasoning: 'Running calculator…\ncalculator → 42\n' });
  });

  it('resumes after the last event when the connection breaks, so nothing is repeated or lost', async () => {
    const stream = new ChatStream(client(), memoryAnswerStore(), 'c3', { resumeDelayMs: 10 });
    await stream.start('auto', [], 'tokens:30:2:cut 7');
    expect(stream.state).toMatchObject({ status: 'done', text: expected(30) });
    const run = runs.get(stream.state!.runId!)!;
    expect(run.resumes).toEqual(['7']);
  });

  it('picks a run up after a reload from what the store kept, even a save behind the screen', async () => {
    const store = memoryAnswerStore();
    // Saves rarely: what the store holds lags what the first page showed when it "reloads".
    const first = new ChatStream(client(), store, 'c4', { saveEveryMs: 60_000 });
    const done = first.start('auto', [], 'tokens:60:10');
    await vi.waitFor(() => expect(first.state!.text.length).toBeGreaterThan(expected(8).length), { timeout: 10_000, interval: 5 });
    first.flush();
    await vi.waitFor(() => expect(first.state!.text.length).toBeGreaterThan(store.load('c4')!.text.length), { timeout: 10_000, interval: 5 });
    first.detach(); // the page is gone; the run is not cancelled
    await done;
    const saved = store.load('c4')!;
    expect(saved.status).toBe('streaming');
    expect(saved.lastEventId).not.toBeNull();

    const second = new ChatStream(client(), store, 'c4');
    expect(second.live).toBe(true);
    await second.resume();
    expect(second.state).toMatchObject({ status: 'done', text: expected(60), prompt: 'tokens:60:10', model: 'auto' });
    expect(runs.get(saved.runId!)!.resumes).toEqual([saved.lastEventId]);
    expect(runs.get(saved.runId!)!.cancelledAt).toBeNull();
  });

  it('stops a run: cancelled on the server, what was written is kept, no error shown', async () => {
    const stream = new ChatStream(client(), memoryAnswerStore(), 'c5');
    const done = stream.start('auto', [], 'tokens:200:10');
    await vi.waitFor(() => expect(stream.state!.text.length).toBeGreaterThan(0), { timeout: 10_000, interval: 5 });
    await stream.stop();
    await done;
    expect(stream.state!.status).toBe('stopped');
    expect(stream.state!.error).toBeNull();
    expect(stream.state!.text.length).toBeLessThan(expected(200).length);
    expect(runs.get(stream.state!.runId!)!.cancelledAt).not.toBeNull();
  });

  it("keeps the gateway's mark on a run that went on in the background", async () => {
    const stream = new ChatStream(client(), memoryAnswerStore(), 'c8');
    await stream.start('patient', [], 'background');
    expect(stream.state).toMatchObject({ status: 'done', background: true, text: 'step0. Continuing in the background.' });
    const plain = new ChatStream(client(), memoryAnswerStore(), 'c9');
    await plain.start('auto', [], 'tokens:2:1');
    expect(plain.state!.background).toBeUndefined();
  });

  it('shows a failure as an error, never as answer text', async () => {
    const stream = new ChatStream(client(), memoryAnswerStore(), 'c6');
    await stream.start('auto', [], 'fail:3');
    expect(stream.state).toMatchObject({ status: 'failed', text: expected(3), error: { message: 'The provider failed: boom', code: 'provider_error' } });
  });

  it('shows a refused request (bad key) as the gateway worded it', async () => {
    const stream = new ChatStream(client('bad-key'), memoryAnswerStore(), 'c7');
    await stream.start('auto', [], 'tokens:3:1');
    expect(stream.state).toMatchObject({ status: 'failed', text: '', error: { message: 'Incorrect API key provided.', code: 'invalid_api_key' } });
  });

  it('says so when a stored run can no longer be resumed', async () => {
    const store = memoryAnswerStore();
    store.save({ ...(await finished(store)), runId: 'run-gone', status: 'streaming' });
    const stream = new ChatStream(client(), store, 'c8');
    await stream.resume();
    expect(stream.state!.status).toBe('failed');
    expect(stream.state!.error!.message).toMatch(/can no longer be resumed/);
  });

  it('forgets an answer once dismissed', async () => {
    const store = memoryAnswerStore();
    const stream = new ChatStream(client(), store, 'c9');
    await stream.start('auto', [], 'tokens:2:1');
    stream.dismiss();
    expect(stream.state).toBeNull();
    expect(store.load('c9')).toBeNull();
  });
});

/** A finished answer in conversation c8, as a template for stored states. */
async function finished(store: ReturnType<typeof memoryAnswerStore>) {
  const stream = new ChatStream(client(), store, 'c8');
  await stream.start('auto', [], 'tokens:1:1');
  return stream.state!;
}
