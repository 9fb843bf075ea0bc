import { createServer } from 'node:net';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  collectStream,
  createGate,
  fixturesDir,
  getFreePort,
  parseSseData,
  readFixture,
  startFakeUpstream,
  type FakeUpstream,
  waitFor,
} from '../src/index.js';

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: string;
      content?: string;
      tool_calls?: { index: number; id?: string; type?: string; function: { name?: string; arguments?: string } }[];
    };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream({ models: ['fake-model', 'other-model'] });
});
afterAll(() => upstream.close());
beforeEach(() => upstream.setReply(undefined));

const post = (body: object, init: RequestInit = {}): Promise<Response> =>
  fetch(`${upstream.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body: JSON.stringify(body),
    ...init,
  });

const chat = (extra: object = {}): object => ({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }], ...extra });

async function streamChunks(res: Response): Promise<{ data: string[]; chunks: Chunk[] }> {
  const data = parseSseData(await res.text());
  return { data, chunks: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as Chunk) };
}

describe('fake upstream', () => {
  it('lists models at GET /v1/models', async () => {
    const res = await fetch(`${upstream.url}/models`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['fake-model', 'other-model']);
  });

  it('streams text in the requested number of deltas, then finish and [DONE]', async () => {
    upstream.setReply({ type: 'completion', text: 'abcdefghijklmnopqrst', deltas: 10 });
    const res = await post(chat({ stream: true }));
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { data, chunks } = await streamChunks(res);
    expect(data.at(-1)).toBe('[DONE]');
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const contents = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter((c) => c !== '');
    expect(contents).toHaveLength(10);
    expect(contents.join('')).toBe('abcdefghijklmnopqrst');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    // No usage chunk unless asked for: some clients choke on it.
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]?.model).toBe('fake-model');
  });

  it('splits text per word by default', async () => {
    upstream.setReply({ type: 'completion', text: 'one two three' });
    const { chunks } = await streamChunks(await post(chat({ stream: true })));
    expect(chunks.map((c) => c.choices[0]?.delta.content).filter(Boolean)).toEqual(['one ', 'two ', 'three']);
  });

  it('honours stream_options.include_usage with a final usage chunk with empty choices', async () => {
    upstream.setReply({ type: 'completion', chunks: ['a', 'b', 'c'], usage: { prompt_tokens: 7 } });
    const { chunks } = await streamChunks(await post(chat({ stream: true, stream_options: { include_usage: true } })));
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('sends no usage when the reply says usage: false, even if asked', async () => {
    upstream.setReply({ type: 'completion', text: 'x', usage: false });
    const { chunks } = await streamChunks(await post(chat({ stream: true, stream_options: { include_usage: true } })));
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('answers JSON when stream is false', async () => {
    upstream.setReply({ type: 'completion', text: 'Hello there', usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const res = await post(chat());
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as {
      object: string;
      choices: { message: { role: string; content: string }; finish_reason: string }[];
      usage: object;
    };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Hello there' });
    expect(body.choices[0]?.finish_reason).toBe('stop');
    expect(body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  it('streams tool calls the way OpenAI does: id and name first, then argument fragments by index', async () => {
    upstream.setReply({
      type: 'completion',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}', argumentDeltas: 4 },
        { name: 'calculator', arguments: '{"expression":"1+1"}' },
      ],
    });
    const { chunks } = await streamChunks(await post(chat({ stream: true })));
    const toolDeltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas[0]).toEqual({ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } });
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const d of toolDeltas) {
      const call = calls.get(d.index) ?? { args: '' };
      if (d.id) {
        expect(call.id).toBeUndefined();
        call.id = d.id;
        call.name = d.function.name;
      } else {
        expect(d).toEqual({ index: d.index, function: { arguments: expect.any(String) } });
      }
      call.args += d.function.arguments ?? '';
      calls.set(d.index, call);
    }
    expect(toolDeltas.filter((d) => d.index === 0 && !d.id)).toHaveLength(4);
    expect([...calls.values()].map((c) => [c.name, c.args])).toEqual([
      ['get_weather', '{"city":"Paris"}'],
      ['calculator', '{"expression":"1+1"}'],
    ]);
    expect(calls.get(1)?.id).toMatch(/^call_/);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('returns tool calls in JSON replies too', async () => {
    upstream.setReply({ type: 'completion', toolCalls: [{ id: 'call_x', name: 'f', arguments: '{}' }] });
    const body = (await (await post(chat())).json()) as {
      choices: { message: { content: unknown; tool_calls: unknown }; finish_reason: string }[];
    };
    expect(body.choices[0]?.message.content).toBeNull();
    expect(body.choices[0]?.message.tool_calls).toEqual([{ id: 'call_x', type: 'function', function: { name: 'f', arguments: '{}' } }]);
    expect(body.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('chooses the reply with a function of the request and records what it received', async () => {
    const seen: unknown[] = [];
    upstream.setReply((request) => {
      seen.push(request.body);
      const body = request.body as { messages: { role: string }[] };
      return body.messages.at(-1)?.role === 'tool'
        ? { type: 'completion', text: 'The weather is fine.' }
        : { type: 'completion', toolCalls: [{ name: 'get_weather', arguments: '{}' }] };
    });
    const before = upstream.requests.length;
    const first = (await (await post(chat())).json()) as { choices: { finish_reason: string }[] };
    const second = (await (
      await post(chat({ messages: [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'c', content: 'sunny' }] }))
    ).json()) as { choices: { message: { content: string } }[] };
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(second.choices[0]?.message.content).toBe('The weather is fine.');
    expect(seen).toHaveLength(2);
    const recorded = upstream.requests.slice(before);
    expect(recorded.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/v1/chat/completions'],
      ['POST', '/v1/chat/completions'],
    ]);
    expect(recorded[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(recorded[1]?.body).toMatchObject({ model: 'fake-model', messages: [{ role: 'user' }, { role: 'tool' }] });
    await expect(recorded[1]?.outcome).resolves.toBe('completed');
  });

  it('cuts the text at a stop sequence, as a real server does', async () => {
    upstream.setReply({ type: 'completion', chunks: ['Hello ', 'wor', 'ld END more'] });
    const { chunks } = await streamChunks(await post(chat({ stream: true, stop: ['END', 'or'] })));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello w');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('waits before the first byte', async () => {
    upstream.setReply({ type: 'completion', text: 'late', firstByteDelayMs: 150 });
    const started = performance.now();
    const res = await post(chat({ stream: true }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(parseSseData(await res.text()).at(-1)).toBe('[DONE]');
  });

  it('waits before the first delta and between deltas', async () => {
    upstream.setReply({ type: 'completion', chunks: ['a', 'b', 'c'], firstDeltaDelayMs: 120, deltaDelayMs: 60 });
    const started = performance.now();
    const res = await post(chat({ stream: true }));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const arrivals: { at: number; text: string }[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arrivals.push({ at: performance.now() - started, text: decoder.decode(value) });
    }
    const firstContent = arrivals.find((a) => a.text.includes('"content":"a"'));
    const lastContent = arrivals.find((a) => a.text.includes('"content":"c"'));
    expect(firstContent!.at).toBeGreaterThanOrEqual(110);
    expect(lastContent!.at - firstContent!.at).toBeGreaterThanOrEqual(110);
  });

  it('sends headers and the role chunk at once, then holds the deltas until the test lets them go', async () => {
    const gate = createGate();
    upstream.setReply({ type: 'completion', chunks: ['a', 'b', 'c'], holdAfterDeltas: { after: 1, until: gate.opened } });
    const res = await post(chat({ stream: true }));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"content":"a"')) text += decoder.decode((await reader.read()).value);
    expect(text).toContain('"role":"assistant"');
    expect(text).not.toContain('"content":"b"');
    gate.open();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
    expect(parseSseData(text).filter((d) => d !== '[DONE]').map((d) => (JSON.parse(d) as Chunk).choices[0]?.delta.content ?? '').join('')).toBe('abc');
    await expect(upstream.requests.at(-1)!.outcome).resolves.toBe('completed');
  });

  it('holds a JSON reply until the gate opens', async () => {
    const gate = createGate();
    upstream.setReply({ type: 'completion', text: 'held', holdAfterDeltas: { after: 0, until: gate.opened } });
    const seen = upstream.requests.length;
    let answered = false;
    const res = post(chat()).then((r) => {
      answered = true;
      return r;
    });
    await waitFor(() => upstream.requests.length > seen, 'the request to arrive');
    // The request is in, the gate shut: no answer yet.
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    gate.open();
    expect(((await (await res).json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('held');
  });

  it('hangs until the client aborts, and records that the connection closed early', async () => {
    upstream.setReply({ type: 'hang' });
    const controller = new AbortController();
    const seen = upstream.requests.length;
    const pending = post(chat({ stream: true }), { signal: controller.signal });
    await waitFor(() => upstream.requests.length > seen, 'the request to arrive');
    const request = upstream.requests.at(-1)!;
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect(request.outcome).resolves.toBe('closed-early');
  });

  it('can hang after the headers: a stream that never produces a token', async () => {
    upstream.setReply({ type: 'hang', afterHeaders: true });
    const controller = new AbortController();
    const res = await post(chat({ stream: true }), { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const read = reader.read();
    const winner = await Promise.race([read.then(() => 'data'), new Promise((r) => setTimeout(() => r('silence'), 200))]);
    expect(winner).toBe('silence');
    const request = upstream.requests.at(-1)!;
    controller.abort();
    await read.catch(() => undefined);
    await expect(request.outcome).resolves.toBe('closed-early');
  });

  it('can stop after some deltas and keep the connection open', async () => {
    upstream.setReply({ type: 'completion', chunks: ['a', 'b', 'c', 'd'], hangAfterDeltas: 2 });
    const controller = new AbortController();
    const res = await post(chat({ stream: true }), { signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('"content":"b"')) text += decoder.decode((await reader.read()).value);
    expect(text).not.toContain('"content":"c"');
    controller.abort();
    await expect(upstream.requests.at(-1)!.outcome).resolves.toBe('closed-early');
  });

  it('answers HTTP errors with an OpenAI error body and Retry-After', async () => {
    upstream.setReply({ type: 'http-error', status: 429, message: 'Slow down', retryAfter: '3' });
    const res = await post(chat({ stream: true }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ error: { message: 'Slow down', type: 'requests', param: null, code: null } });
  });

  it('drops the connection mid-stream', async () => {
    upstream.setReply({ type: 'completion', chunks: ['a', 'b', 'c', 'd'], dropAfterDeltas: 2 });
    const res = await post(chat({ stream: true }));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let failure: unknown;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeDefined();
    expect(text).toContain('"content":"b"');
    expect(text).not.toContain('"content":"c"');
    await expect(upstream.requests.at(-1)!.outcome).resolves.toBe('dropped');
  });

  it('sends an error event mid-stream', async () => {
    upstream.setReply({ type: 'completion', chunks: ['a', 'b'], errorAfterDeltas: { after: 1, message: 'upstream died', code: 502 } });
    const data = parseSseData(await (await post(chat({ stream: true }))).text());
    expect(JSON.parse(data.at(-1)!)).toEqual({ error: { message: 'upstream died', type: 'server_error', param: null, code: 502 } });
    expect(data).not.toContain('[DONE]');
  });

  it('answers 404 with an OpenAI error on unknown routes and 400 on bad JSON', async () => {
    const notFound = await fetch(`${upstream.url}/embeddings`, { method: 'POST', body: '{}' });
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { message: string } }).error.message).toContain('/v1/embeddings');
    const bad = await fetch(`${upstream.url}/chat/completions`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
  });

  it('renders a constant reply once and replays the same bytes', async () => {
    upstream.setReply({ type: 'completion', text: 'same every time', deltas: 5 });
    const a = await (await post(chat({ stream: true }))).text();
    const b = await (await post(chat({ stream: true }))).text();
    expect(b).toBe(a);
  });
});

describe('fixture replay', () => {
  const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.sse'));

  it('has the hand-written fixtures', () => {
    expect(files.sort()).toEqual(['openai-text.sse', 'openai-tool-calls.sse', 'openai-usage.sse', 'openrouter-text-usage.sse']);
  });

  it.each(files)('serves %s byte for byte, in one write and event by event', async (file) => {
    const expected = readFixture(file);
    for (const eventDelayMs of [undefined, 1]) {
      upstream.setReply({ type: 'fixture', name: file.replace(/\.sse$/, ''), eventDelayMs });
      const res = await post(chat({ stream: true }));
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.equals(expected)).toBe(true);
    }
  });

  it('fixtures are well-formed: every data line is JSON or [DONE], and [DONE] comes last', () => {
    for (const file of files) {
      const data = parseSseData(readFixture(file).toString('utf8'));
      expect(data.at(-1)).toBe('[DONE]');
      for (const d of data.slice(0, -1)) expect(() => JSON.parse(d)).not.toThrow();
    }
  });
});

describe('fake upstream options', () => {
  it('checks the API key when given one, echoing the wrong key (worse than real providers)', async () => {
    const strict = await startFakeUpstream({ apiKey: 'sk-right' });
    try {
      const res = await fetch(`${strict.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-wrong' },
        body: JSON.stringify(chat()),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('sk-wrong');
      const ok = await fetch(`${strict.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-right' },
        body: JSON.stringify(chat()),
      });
      expect(ok.status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('keeps no requests when record is false', async () => {
    const lean = await startFakeUpstream({ record: false });
    try {
      expect((await fetch(`${lean.url}/chat/completions`, { method: 'POST', body: JSON.stringify(chat()) })).status).toBe(200);
      expect(lean.requests).toHaveLength(0);
    } finally {
      await lean.close();
    }
  });

  it('close() ends hanging connections', async () => {
    const hanging = await startFakeUpstream({ reply: { type: 'hang' } });
    const pending = fetch(`${hanging.url}/chat/completions`, { method: 'POST', body: JSON.stringify(chat()) });
    await waitFor(() => hanging.requests.length === 1, 'the request to arrive');
    await hanging.close();
    await expect(pending).rejects.toThrow();
  });
});

describe('helpers', () => {
  it('getFreePort returns a port that can be listened on', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  it('collectStream reads an async iterable to its end and rethrows its error', async () => {
    async function* ok(): AsyncGenerator<number> {
      yield 1;
      yield 2;
    }
    async function* bad(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    await expect(collectStream(ok())).resolves.toEqual([1, 2]);
    await expect(collectStream(bad())).rejects.toThrow('boom');
  });
});
