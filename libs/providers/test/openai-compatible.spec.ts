import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { openAICompatibleProviderSchema, type OpenAICompatibleProviderConfig } from '@switchboard/contracts';
import { createOpenAICompatibleModel, placeholderApiKey, ProviderError, type StreamPart } from '../src/index.js';
import { collectStream, startFakeUpstream, type FakeUpstream } from '@switchboard/testing';

const config = (extra: Record<string, unknown>): OpenAICompatibleProviderConfig =>
  openAICompatibleProviderSchema.parse({ name: 'fake', type: 'openai-compatible', ...extra });
const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };

async function stream(model: ReturnType<typeof createOpenAICompatibleModel>, options = hi): Promise<StreamPart[]> {
  return collectStream((await model.doStream(options)).stream);
}
const textOf = (parts: StreamPart[]): string => parts.map((p) => (p.type === 'text-delta' ? p.delta : '')).join('');
const last = (parts: StreamPart[]): StreamPart | undefined => parts.at(-1);

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());
afterEach(() => upstream.setReply(undefined));

describe('openai-compatible: what reaches the upstream', () => {
  it('asks for a stream with usage and sends only the fields the API defines', async () => {
    const model = createOpenAICompatibleModel(config({ base_url: upstream.url }), 'org/model-1');
    await stream(model, {
      messages: [
        { role: 'system', content: 'be brief' },
        // Clients add keys of their own; strict upstreams reject them.
        { role: 'user', content: 'weather?', extra_client_field: 1 } as never,
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'thinking...',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        } as never,
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      tools: [],
      toolChoice: 'auto',
      stop: [],
    } as never);
    expect(upstream.requests.at(-1)?.body).toEqual({
      model: 'org/model-1',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
  });

  it('sends non-streaming requests for doGenerate', async () => {
    const model = createOpenAICompatibleModel(config({ base_url: upstream.url }), 'm');
    await model.doGenerate(hi);
    const body = upstream.requests.at(-1)?.body as Record<string, unknown>;
    expect(body['stream']).toBe(false);
    expect(body['stream_options']).toBeUndefined();
  });

  it('sends the configured key and headers, and nothing from OPENAI_* environment variables', async () => {
    const saved = { ...process.env };
    process.env['OPENAI_API_KEY'] = 'sk-from-env';
    process.env['OPENAI_ORG_ID'] = 'org-from-env';
    process.env['OPENAI_PROJECT_ID'] = 'proj-from-env';
    process.env['OPENAI_BASE_URL'] = 'http://127.0.0.1:9/v1';
    try {
      const keyed = createOpenAICompatibleModel(
        config({ base_url: upstream.url, api_key: 'sk-configured', headers: { 'X-Title': 'Switchboard' } }),
        'm',
      );
      await stream(keyed);
      const headers = upstream.requests.at(-1)?.headers ?? {};
      expect(headers['authorization']).toBe('Bearer sk-configured');
      expect(headers['x-title']).toBe('Switchboard');
      expect(headers['openai-organization']).toBeUndefined();
      expect(headers['openai-project']).toBeUndefined();

      const keyless = createOpenAICompatibleModel(config({ preset: 'vllm', base_url: upstream.url }), 'm');
      await stream(keyless);
      expect(upstream.requests.at(-1)?.headers['authorization']).toBe(`Bearer ${placeholderApiKey}`);
    } finally {
      process.env = saved;
    }
  });

  it('fails a hosted preset without a key at once, without sending anything', async () => {
    const before = upstream.requests.length;
    const model = createOpenAICompatibleModel(config({ preset: 'openrouter', base_url: upstream.url }), 'm');
    const error = await model.doStream(hi).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).details).toMatchObject({ provider: 'fake', isRetryable: false });
    expect((error as ProviderError).message).toMatch(/api_key/);
    await expect(model.doGenerate(hi)).rejects.toBeInstanceOf(ProviderError);
    expect(upstream.requests.length).toBe(before);
  });

  it('never retries on its own: the router does', async () => {
    const model = createOpenAICompatibleModel(config({ base_url: upstream.url }), 'm');
    for (const status of [500, 429, 503]) {
      upstream.setReply({ type: 'http-error', status });
      const before = upstream.requests.length;
      await expect(model.doStream(hi)).rejects.toMatchObject({ details: { status, isRetryable: true } });
      await expect(model.doGenerate(hi)).rejects.toMatchObject({ details: { status } });
      expect(upstream.requests.length - before).toBe(2);
    }
  });

  it('shares one SDK client among the models of one provider config', () => {
    const shared = config({ base_url: upstream.url });
    const a = createOpenAICompatibleModel(shared, 'a');
    const b = createOpenAICompatibleModel(shared, 'b');
    const other = createOpenAICompatibleModel(config({ base_url: upstream.url }), 'a');
    expect(Reflect.get(a, 'shared')).toBe(Reflect.get(b, 'shared'));
    expect(Reflect.get(a, 'shared')).not.toBe(Reflect.get(other, 'shared'));
  });
});

describe('openai-compatible: secrets', () => {
  it('keeps the key out of error messages and causes even when the upstream echoes it', async () => {
    const strict = await startFakeUpstream({ apiKey: 'sk-right-key' });
    try {
      const secret = 'sk-secret-0123456789abcdef';
      const model = createOpenAICompatibleModel(config({ base_url: strict.url, api_key: secret }), 'm');
      for (const attempt of [model.doStream(hi), model.doGenerate(hi)]) {
        const error = (await attempt.catch((e: unknown) => e)) as ProviderError;
        expect(error).toBeInstanceOf(ProviderError);
        expect(error.details.status).toBe(401);
        expect(error.details.isRetryable).toBe(false);
        expect(error.message).toContain('Incorrect API key provided');
        const everything = [error.message, error.stack, String(error.cause), (error.cause as Error).message, JSON.stringify(error)].join('\n');
        expect(everything).not.toContain(secret);
      }
    } finally {
      await strict.close();
    }
  });
});

describe('openai-compatible: reading streams', () => {
  const model = (): ReturnType<typeof createOpenAICompatibleModel> => createOpenAICompatibleModel(config({ base_url: upstream.url }), 'm');

  it('leaves usage at zero when the upstream reports none', async () => {
    upstream.setReply({ type: 'completion', text: 'no usage here', usage: false });
    expect(last(await stream(model()))).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
    expect((await model().doGenerate(hi)).usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('replays a captured OpenAI text stream', async () => {
    upstream.setReply({ type: 'fixture', name: 'openai-text', eventDelayMs: 1 });
    const parts = await stream(model());
    expect(textOf(parts)).toBe('Hello! How can I assist you today?');
    expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(9);
    expect(last(parts)).toEqual({ type: 'finish', finishReason: 'stop', usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
  });

  it('replays a captured OpenAI stream with two parallel tool calls', async () => {
    upstream.setReply({ type: 'fixture', name: 'openai-tool-calls' });
    const parts = await stream(model());
    const deltas = parts.filter((p) => p.type === 'tool-call-delta');
    expect(deltas[0]).toEqual({ type: 'tool-call-delta', index: 0, id: 'call_Q4sVzH8kLmN2pR7tX1yB3cD5', name: 'get_weather' });
    expect(deltas.filter((d) => d.id !== undefined).map((d) => [d.index, d.id])).toEqual([
      [0, 'call_Q4sVzH8kLmN2pR7tX1yB3cD5'],
      [1, 'call_W9eRtY6uIoP1aS3dF5gH7jK2'],
    ]);
    const args = [0, 1].map((i) => deltas.filter((d) => d.index === i).map((d) => d.argumentsDelta ?? '').join(''));
    expect(args.map((a) => JSON.parse(a))).toEqual([{ location: 'Paris, France' }, { location: 'Tokyo, Japan' }]);
    expect(last(parts)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('replays a captured OpenAI stream with usage', async () => {
    upstream.setReply({ type: 'fixture', name: 'openai-usage' });
    const parts = await stream(model());
    expect(textOf(parts)).toBe('The capital of France is Paris.');
    expect(last(parts)).toEqual({ type: 'finish', finishReason: 'stop', usage: { prompt_tokens: 14, completion_tokens: 7, total_tokens: 21 } });
  });

  it('replays a captured OpenRouter stream: comments, extra fields, usage after the finish chunk', async () => {
    upstream.setReply({ type: 'fixture', name: 'openrouter-text-usage', eventDelayMs: 1 });
    const parts = await stream(model());
    expect(textOf(parts)).toBe('Sure! Here is a haiku:\n\nQuiet queue of jobs\nworkers wake and stream replies\nnothing gets lost.');
    expect(last(parts)).toEqual({ type: 'finish', finishReason: 'stop', usage: { prompt_tokens: 21, completion_tokens: 22, total_tokens: 43 } });
  });

  it('cuts a provider that sends no headers within first_token_timeout_ms', async () => {
    upstream.setReply({ type: 'hang' });
    const quick = createOpenAICompatibleModel(config({ base_url: upstream.url, first_token_timeout_ms: 200 }), 'm');
    const started = performance.now();
    const error = (await quick.doStream(hi).catch((e: unknown) => e)) as ProviderError;
    // The upstream never answers: only the 200 ms timeout can have ended it (room left for a busy machine).
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.details).toMatchObject({ isRetryable: true });
    expect(error.details.isAbort).toBeFalsy();
    expect(error.message).toMatch(/first_token_timeout_ms \(200 ms\)/);
    await expect(upstream.requests.at(-1)?.outcome).resolves.toBe('closed-early');
  });

  it('cuts a doGenerate that exceeds timeout_ms', async () => {
    upstream.setReply({ type: 'hang' });
    const quick = createOpenAICompatibleModel(config({ base_url: upstream.url, timeout_ms: 200 }), 'm');
    await expect(quick.doGenerate(hi)).rejects.toMatchObject({ details: { isRetryable: true } });
    await expect(upstream.requests.at(-1)?.outcome).resolves.toBe('closed-early');
  });

  it('counts a role-only chunk as no token, so a stream that only opened still times out', async () => {
    upstream.setReply({ type: 'completion', text: 'late', firstDeltaDelayMs: 1000 });
    const quick = createOpenAICompatibleModel(config({ base_url: upstream.url, first_token_timeout_ms: 200 }), 'm');
    const parts = await stream(quick);
    expect(last(parts)).toMatchObject({ type: 'error', error: { details: { isRetryable: true } } });
  });
});

describe('openai-compatible: servers that bend the format', () => {
  let server: Server;
  let url: string;
  let body: string[] = [];
  let pauseMs = 0;
  let resetAtEnd = false;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let i = 0;
        const next = (): void => {
          if (res.destroyed) return;
          if (i === body.length) return void (resetAtEnd ? res.socket?.destroy() : res.end());
          res.write(body[i++]);
          setTimeout(next, pauseMs);
        };
        next();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

  it('reports a stream that ends before any finish reason as a retryable error', async () => {
    pauseMs = 0;
    resetAtEnd = false;
    body = [chunk({ role: 'assistant', content: 'cut ' }), chunk({ content: 'short' })];
    const parts = await stream(createOpenAICompatibleModel(config({ base_url: url }), 'm'));
    expect(textOf(parts)).toBe('cut short');
    expect(last(parts)).toMatchObject({ type: 'error', error: { details: { isRetryable: true } } });
  });

  it('keeps an answer that reached [DONE] even if the connection resets afterwards', async () => {
    pauseMs = 5;
    resetAtEnd = true;
    try {
      body = [chunk({ role: 'assistant', content: 'whole' }), chunk({}, 'stop'), 'data: [DONE]\n\n'];
      const complete = await stream(createOpenAICompatibleModel(config({ base_url: url }), 'm'));
      expect(last(complete)).toMatchObject({ type: 'finish', finishReason: 'stop' });
      body = [chunk({ role: 'assistant', content: 'half' }), chunk({}, 'stop')];
      const cut = await stream(createOpenAICompatibleModel(config({ base_url: url }), 'm'));
      expect(last(cut)).toMatchObject({ type: 'error', error: { details: { isRetryable: true } } });
    } finally {
      resetAtEnd = false;
    }
  });

  it('gives tool calls without id or index an id and a position, and treats "stop" after tool calls as tool_calls', async () => {
    pauseMs = 0;
    body = [
      chunk({ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      chunk({}, 'stop'),
      'data: [DONE]\n\n',
    ];
    const parts = await stream(createOpenAICompatibleModel(config({ base_url: url }), 'm'));
    expect(parts[0]).toMatchObject({ type: 'tool-call-delta', index: 0, id: expect.stringMatching(/^call_/), name: 'f', argumentsDelta: '{"a":' });
    expect(parts[1]).toEqual({ type: 'tool-call-delta', index: 0, argumentsDelta: '1}' });
    expect(last(parts)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('emits id and name once per call even when a server repeats them on every fragment', async () => {
    pauseMs = 0;
    const frag = (args: string): string =>
      chunk({ tool_calls: [{ index: 0, id: 'call_same', type: 'function', function: { name: 'f', arguments: args } }] });
    body = [frag('{"a"'), frag(':2}'), chunk({}, 'tool_calls')];
    const parts = await stream(createOpenAICompatibleModel(config({ base_url: url }), 'm'));
    expect(parts.slice(0, 2)).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'call_same', name: 'f', argumentsDelta: '{"a"' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: ':2}' },
    ]);
  });

  it('counts reasoning deltas as signs of life for first_token_timeout_ms', async () => {
    pauseMs = 120;
    body = [
      chunk({ role: 'assistant', content: '' }),
      ...Array.from({ length: 5 }, () => chunk({ reasoning_content: 'hmm ' })),
      chunk({ content: 'answer' }),
      chunk({}, 'stop'),
    ];
    const quick = createOpenAICompatibleModel(config({ base_url: url, first_token_timeout_ms: 400 }), 'm');
    const parts = await stream(quick);
    expect(textOf(parts)).toBe('answer');
    expect(last(parts)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });
});
