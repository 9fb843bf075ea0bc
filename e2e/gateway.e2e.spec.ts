import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGate, type FakeRequest, type FakeReply, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import OpenAI from 'openai';
import { request as httpRequest } from 'node:http';
import { cleanUp, type PlatformProcess, startPlatformProcess } from './platform-process.js';

const KEY = 'sb-e2e-shared-key';
const ADMIN = 'sb-e2e-admin-key';
let upstream: FakeUpstream;
let platform: PlatformProcess;
let client: OpenAI;
let gw: string;
/** Holds the `silent` reply before its first delta until the test has seen the heartbeats it waits for. */
const silence = createGate();

/** Scripts the upstream by the last user message, so concurrent tests never share a reply. */
const script = (req: FakeRequest): FakeReply => {
  const body = req.body as { messages: { role: string; content: string }[] };
  const last = body.messages.at(-1)?.content ?? '';
  const [cmd = '', arg] = last.split(':');
  switch (cmd) {
    case 'deltas':
      return { type: 'completion', chunks: Array.from({ length: Number(arg) }, (_, i) => `t${i} `) };
    case 'echo':
      return { type: 'completion', chunks: [...last].map((c) => c) };
    case 'tool':
      return { type: 'completion', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}', argumentDeltas: 4 }] };
    case 'slow':
      return { type: 'completion', chunks: Array.from({ length: 40 }, (_, i) => `s${i} `), deltaDelayMs: Number(arg) };
    case 'silent':
      return { type: 'completion', chunks: ['after ', 'silence'], holdAfterDeltas: { after: 0, until: silence.opened } };
    default:
      return { type: 'completion', chunks: ['Hello', ' from', ' upstream.'] };
  }
};

beforeAll(async () => {
  upstream = await startFakeUpstream({ reply: script, models: ['m1'] });
  platform = await startPlatformProcess({
    configYaml: ({ dir, prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, heartbeat_ms: 200, body_limit_mb: 0.05 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { api_key: ${KEY}, admin_key: ${ADMIN} }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, api_key: upstream-secret, models: [m1] }
auto_pick: { priority: [fake] }
rate_limit: { requests_per_minute: 100000 }
agents:
  - { name: helper, model: fake/m1, system_prompt: You help. }
queue: { concurrency: 64 }
`,
  });
  gw = platform.urls.gateway!;
  client = new OpenAI({ baseURL: `${gw}/v1`, apiKey: KEY, maxRetries: 0 });
}, 120000);

afterAll(async () => {
  await platform?.stop();
  await cleanUp(platform);
  await upstream?.close();
});

async function streamText(model: string, content: string, extra: Record<string, unknown> = {}) {
  const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true, ...extra });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('gateway end to end (built apps, real Redis, fake upstream over HTTP)', () => {
  it('lists agents, provider models and auto', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['helper', 'fake/m1', 'auto']));
  });

  it('answers a non-streaming request with one chat.completion', async () => {
    const res = await client.chat.completions.create({ model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const completion = res.data;
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe('Hello from upstream.');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(res.response.headers.get('x-run-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams many small deltas in order, then finishes, with no usage chunk unless asked', async () => {
    const chunks = await streamText('fake/m1', 'deltas:300');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(Array.from({ length: 300 }, (_, i) => `t${i} `).join(''));
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'fake/m1')).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it('sends the usage chunk (empty choices) when stream_options.include_usage asks', async () => {
    const chunks = await streamText('fake/m1', 'deltas:5', { stream_options: { include_usage: true } });
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
  });

  it('streams a tool call with index on every delta and finish_reason tool_calls', async () => {
    const chunks = await streamText('fake/m1', 'tool', {
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((d) => d.index === 0)).toBe(true);
    expect(deltas[0]!.id).toBeTruthy();
    expect(deltas[0]!.function?.name).toBe('get_weather');
    expect(deltas.map((d) => d.function?.arguments ?? '').join('')).toBe('{"city":"Paris","unit":"c"}');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
    const upstreamBody = upstream.requests.at(-1)!.body as { tools: unknown[] };
    expect(upstreamBody.tools).toHaveLength(1);
  });

  it('runs 50 concurrent streams with no cross-talk', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const content = `echo:${i}:${'x'.repeat(i % 7)}`;
        const chunks = await streamText('fake/m1', content);
        return { content, text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join('') };
      }),
    );
    for (const r of results) expect(r.text).toBe(r.content);
  });

  it('cancels the run when the client aborts mid-stream, and serves the next request normally', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'fake/m1', messages: [{ role: 'user', content: 'slow:50' }], stream: true },
      { signal: controller.signal },
    );
    let got = 0;
    try {
      for await (const _ of stream) if (++got === 3) controller.abort();
    } catch {
      // The SDK may end the iteration or throw an abort error; either way the client is gone.
    }
    expect(got).toBeLessThan(40);
    // The worker aborts the upstream call: the fake sees its connection closed before the stream completed.
    const slowReq = upstream.requests.filter((r) => (r.body as { messages: { content: string }[] }).messages.at(-1)?.content === 'slow:50').at(-1)!;
    await expect(slowReq.outcome).resolves.toBe('closed-early');
    const after = await client.chat.completions.create({ model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] });
    expect(after.choices[0]!.message.content).toBe('Hello from upstream.');
  });

  it('keeps a run going when a client that said `X-On-Disconnect: continue` leaves mid-stream; it resumes whole', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', 'X-On-Disconnect': 'continue' },
      body: JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content: 'slow:25' }], stream: true }),
      signal: controller.signal,
    });
    const runId = res.headers.get('x-run-id')!;
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('s2 ')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const resumed = await fetch(`${gw}/v1/runs/${runId}/events`, { headers: { Authorization: `Bearer ${KEY}` } });
    const body = await resumed.text();
    const text = [...body.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('');
    expect(text).toBe(Array.from({ length: 40 }, (_, i) => `s${i} `).join(''));
    expect(body).toContain('"finish_reason":"stop"');
    const slowReq = upstream.requests.filter((r) => (r.body as { messages: { content: string }[] }).messages.at(-1)?.content === 'slow:25').at(-1)!;
    await expect(slowReq.outcome).resolves.toBe('completed');
  });

  it('resumes a run with Last-Event-ID, returning exactly the missing events', async () => {
    const res = await fetch(`${gw}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content: 'slow:20' }], stream: true }),
    });
    const runId = res.headers.get('x-run-id')!;
    const full = await res.text();
    const events = [...full.matchAll(/^id: (\d+)\ndata: (.*)$/gm)].map((m) => ({ id: Number(m[1]), data: m[2]! }));
    // Deltas 20 ms apart mostly get an event each, but how many merge within stream_coalesce_ms depends on the
    // machine's speed; the finish always has an event of its own, so there are at least two. Cut in the middle.
    expect(events.length).toBeGreaterThanOrEqual(2);
    const cut = events[Math.floor((events.length - 1) / 2)]!.id;
    const resumed = await fetch(`${gw}/v1/runs/${runId}/events`, { headers: { Authorization: `Bearer ${KEY}`, 'Last-Event-ID': String(cut) } });
    expect(resumed.status).toBe(200);
    const rest = [...(await resumed.text()).matchAll(/^id: (\d+)\ndata: (.*)$/gm)].map((m) => ({ id: Number(m[1]), data: m[2]! }));
    expect(rest).toEqual(events.filter((e) => e.id > cut));
    expect(full.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('sends `: ping` heartbeats while the upstream is silent', async () => {
    try {
      const res = await fetch(`${gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content: 'silent' }], stream: true }),
        signal: AbortSignal.timeout(25000),
      });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // The upstream stays silent until three pings came through (heartbeat_ms 200), however long that takes.
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let body = '';
      const pings = (): number => (body.match(/^: ping$/gm) ?? []).length;
      while (pings() < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        body += decoder.decode(value, { stream: true });
      }
      expect(pings()).toBeGreaterThanOrEqual(3);
      expect(body).not.toContain('"content":"after');
      silence.open();
      for (let r = await reader.read(); !r.done; r = await reader.read()) body += decoder.decode(r.value, { stream: true });
      expect(body).toContain('"content":"after "');
      expect(body).toContain('"content":"silence"');
    } finally {
      silence.open(); // a failed check must not leave the upstream holding the stream
    }
  });

  it('keeps the conversation of an Open WebUI chat: one conversation, both turns, answers included', async () => {
    const chatId = `owui-${Date.now()}`;
    const ask = (messages: { role: 'user' | 'assistant'; content: string }[]) =>
      client.chat.completions.create({ model: 'fake/m1', messages }, { headers: { 'X-OpenWebUI-Chat-Id': chatId } });
    const first = await ask([{ role: 'user', content: 'deltas:2' }]);
    const answer1 = first.choices[0]!.message.content!;
    await ask([
      { role: 'user', content: 'deltas:2' },
      { role: 'assistant', content: answer1 },
      { role: 'user', content: 'deltas:3' },
    ]);
    const admin = { Authorization: `Bearer ${ADMIN}` };
    // The worker records after the answer is out: poll (up to 15 s, for a busy machine).
    let messages: { role: string; content: string }[] = [];
    for (let i = 0; i < 150 && messages.length < 4; i++) {
      const list = (await (await fetch(`${platform.urls.api}/api/conversations?limit=100`, { headers: admin })).json()) as {
        data: { id: string; external_id: string | null }[];
      };
      const conv = list.data.filter((c) => c.external_id === chatId);
      expect(conv.length).toBeLessThanOrEqual(1);
      if (conv[0]) {
        const page = (await (await fetch(`${platform.urls.api}/api/conversations/${conv[0].id}/messages`, { headers: admin })).json()) as {
          data: { role: string; content: string }[];
        };
        messages = page.data;
      }
      if (messages.length < 4) await new Promise((r) => setTimeout(r, 100));
    }
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(messages.map((m) => m.content)).toEqual(['deltas:2', answer1, 'deltas:3', 't0 t1 t2 ']);
  });

  it('accepts a key created through the admin API', async () => {
    const created = await fetch(`${platform.urls.api}/api/keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'e2e' }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const own = new OpenAI({ baseURL: `${gw}/v1`, apiKey: key, maxRetries: 0 });
    const done = await own.chat.completions.create({ model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] });
    expect(done.choices[0]!.message.content).toBe('Hello from upstream.');
  });

  describe('bad input gets OpenAI-shaped errors', () => {
    const post = async (body: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...headers },
        body,
      });
      return { status: res.status, body: (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } } };
    };

    it('malformed JSON -> 400', async () => {
      const r = await post('{"model": "fake/m1", "messages": [');
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    });

    it('schema errors -> 400 naming the parameter', async () => {
      const r = await post(JSON.stringify({ model: 'fake/m1', messages: [{ role: 'wizard', content: 'x' }] }));
      expect(r.status).toBe(400);
      expect(r.body.error.type).toBe('invalid_request_error');
      expect(r.body.error.param).toMatch(/^messages\[0\]/);
      const missing = await post(JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }));
      expect(missing.status).toBe(400);
      expect(missing.body.error.param).toBe('model');
    });

    it('unknown model -> 404 model_not_found, also through the SDK', async () => {
      const r = await post(JSON.stringify({ model: 'nope/nothing', messages: [{ role: 'user', content: 'x' }] }));
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('model_not_found');
      await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });

    it('a body over the limit -> 413', async () => {
      const r = await post(JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] }));
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('request_too_large');
    });

    it('missing or wrong key -> 401', async () => {
      const none = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${gw}/v1/models`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(none).toBe(401);
      const wrong = new OpenAI({ baseURL: `${gw}/v1`, apiKey: 'sb-wrong', maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });
  });
});
