import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getLlama, type LlamaModel } from 'node-llama-cpp';
import { z } from 'zod';
import type { ChatMessage, ToolDefinition } from '@switchboard/contracts';
import { ProviderError, type CallOptions, type LanguageModel, type StreamPart } from '../src/index.js';
import { collectStream, writeTestModel } from '@switchboard/testing';
import { errorOf, finishOf, startProvider, testModelDir, textOf, type ProviderFixture, type TestModelDir } from './llama-cpp.fixture.js';

const hello: ChatMessage[] = [{ role: 'user', content: 'Hello there' }];
const ms = (since: number): number => performance.now() - since;
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function run(model: LanguageModel, options: Partial<CallOptions> = {}): Promise<StreamPart[]> {
  const { stream } = await model.doStream({ messages: hello, ...options });
  return collectStream(stream);
}

const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
    },
  },
};
const timeTool: ToolDefinition = { type: 'function', function: { name: 'current_time', description: 'The time now' } };

let files: TestModelDir;
let fx: ProviderFixture;
/** Fixed-length generations: end of turn suppressed. */
let duo: LanguageModel;
let solo: LanguageModel;
/** The model as it is: random weights end turns at random. */
let natural: LanguageModel;
/** The same GGUF's tokenizer, loaded apart from the provider, to check usage independently. */
let vocab: LlamaModel;

beforeAll(async () => {
  files = await testModelDir();
  fx = startProvider(files.dir, {
    models: [
      { name: 'duo', params: { parallel: 2 } },
      { name: 'solo', params: { parallel: 1 } },
    ],
  });
  duo = fx.provider.languageModel('duo', { ignoreEos: true });
  solo = fx.provider.languageModel('solo', { ignoreEos: true });
  natural = fx.provider.languageModel('duo');
  await Promise.all([fx.provider.preload('duo'), fx.provider.preload('solo')]);
  const llama = await getLlama({ build: 'never', gpu: false });
  vocab = await llama.loadModel({ modelPath: files.model.path, vocabOnly: true });
});

afterAll(async () => {
  await vocab?.dispose();
  await fx?.close();
  await files?.remove();
});

describe('llama-cpp: generation', () => {
  it('streams text deltas, then exactly one finish with usage', async () => {
    const parts = await run(duo, { maxTokens: 40, seed: 1 });
    const deltas = parts.filter((p) => p.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(5);
    expect(parts.filter((p) => p.type === 'finish' || p.type === 'error')).toHaveLength(1);
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: 'length',
      usage: { prompt_tokens: expect.any(Number), completion_tokens: 40, total_tokens: expect.any(Number) },
    });
    expect(textOf(parts).length).toBeGreaterThan(0);
  });

  it('max_tokens is respected exactly when end of turn is suppressed', async () => {
    for (const maxTokens of [1, 7, 300]) {
      const result = await duo.doGenerate({ messages: hello, maxTokens, seed: maxTokens });
      expect(result.finishReason).toBe('length');
      expect(result.usage.completion_tokens).toBe(maxTokens);
    }
  });

  it('the same seed gives the same text, another seed another text', async () => {
    const a = await duo.doGenerate({ messages: hello, maxTokens: 60, seed: 42 });
    const b = await solo.doGenerate({ messages: hello, maxTokens: 60, seed: 42 });
    const c = await duo.doGenerate({ messages: hello, maxTokens: 60, seed: 43 });
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
  });

  it('temperature 0 is greedy: the seed does not matter', async () => {
    const a = await duo.doGenerate({ messages: hello, maxTokens: 30, temperature: 0, seed: 1 });
    const b = await duo.doGenerate({ messages: hello, maxTokens: 30, temperature: 0, seed: 2 });
    expect(b.text).toBe(a.text);
  });

  it('stops at a stop sequence and leaves it out', async () => {
    const full = await duo.doGenerate({ messages: hello, maxTokens: 80, seed: 7 });
    const stop = full.text.slice(30, 33);
    expect(stop).toHaveLength(3);
    const cut = await duo.doGenerate({ messages: hello, maxTokens: 80, seed: 7, stop: ['@@@never@@@', stop] });
    expect(cut.finishReason).toBe('stop');
    expect(cut.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
    expect(cut.usage.completion_tokens).toBeLessThan(80);
  });

  it('a model that may end its turn does so with finish reason stop', async () => {
    const reasons = new Set<string>();
    for (let seed = 0; seed < 6; seed++) reasons.add((await natural.doGenerate({ messages: hello, maxTokens: 2000, seed })).finishReason);
    expect(reasons.has('stop')).toBe(true);
  });

  it('generates well over a hundred tokens per second on one thread', async () => {
    const started = performance.now();
    const result = await solo.doGenerate({ messages: hello, maxTokens: 1000, seed: 3 });
    const tokensPerSecond = result.usage.completion_tokens / (ms(started) / 1000);
    // node-llama-cpp's default thread count on a small VM ran at a few tokens per second; this catches that.
    expect(tokensPerSecond).toBeGreaterThan(100);
  });
});

describe('llama-cpp: usage', () => {
  const countTokens = (text: string): number => vocab.tokenize(text, true).length;

  it('prompt tokens are the tokenized chat prompt, completion tokens the generated ones', async () => {
    const result = await duo.doGenerate({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello there' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'What now?' },
      ],
      maxTokens: 12,
      seed: 1,
    });
    const prompt =
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n' +
      '<|im_start|>assistant\nHi.<|im_end|>\n<|im_start|>user\nWhat now?<|im_end|>\n<|im_start|>assistant\n';
    expect(result.usage).toEqual({ prompt_tokens: countTokens(prompt), completion_tokens: 12, total_tokens: countTokens(prompt) + 12 });
  });

  it('a conversation with tool calls and results renders in the model template (Qwen style)', async () => {
    const tool: ToolDefinition = {
      type: 'function',
      function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    };
    const result = await duo.doGenerate({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Oslo and Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'c2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'c2', content: 'rain' },
      ],
      tools: [tool],
      toolChoice: 'none',
      maxTokens: 5,
      seed: 1,
    });
    // tool_choice "none" hides the tools, so the prompt has no tool list: only the conversation.
    const prompt =
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWeather in Oslo and Paris?<|im_end|>\n<|im_start|>assistant\n' +
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>\n' +
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
      '<|im_start|>user\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\nrain\n</tool_response><|im_end|>\n' +
      '<|im_start|>assistant\n';
    expect(result.toolCalls).toEqual([]);
    expect(result.usage.prompt_tokens).toBe(countTokens(prompt));
  });
});

describe('llama-cpp: structured output and tools', () => {
  it('answers in the JSON schema of response_format', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 16 },
        size: { enum: ['small', 'large'] },
        ok: { type: 'boolean' },
        count: { type: 'integer' },
      },
      required: ['name', 'size', 'ok', 'count'],
      additionalProperties: false,
    };
    const shape = z.strictObject({ name: z.string().max(16), size: z.enum(['small', 'large']), ok: z.boolean(), count: z.number().int() });
    for (const seed of [1, 2, 3]) {
      const result = await natural.doGenerate({
        messages: hello,
        maxTokens: 200,
        seed,
        responseFormat: { type: 'json_schema', json_schema: { name: 'thing', schema } },
      });
      expect(result.finishReason).toBe('stop');
      expect(shape.safeParse(JSON.parse(result.text)).success).toBe(true);
    }
  });

  it('json_object answers with a JSON object', async () => {
    const result = await natural.doGenerate({ messages: hello, maxTokens: 300, seed: 4, responseFormat: { type: 'json_object' } });
    expect(result.finishReason).toBe('stop');
    const value: unknown = JSON.parse(result.text);
    expect(typeof value).toBe('object');
    expect(Array.isArray(value)).toBe(false);
  });

  it('tool_choice "required": tool calls stream as deltas with index, id and name, and finish with tool_calls', async () => {
    const model = fx.provider.languageModel('duo', { ignoreEos: true, maxParallelToolCalls: 2 });
    const parts = await run(model, { tools: [weatherTool, timeTool], toolChoice: 'required', maxTokens: 300, seed: 5 });
    expect(errorOf(parts)).toBeUndefined();
    const calls: { id: string; name: string; arguments: string }[] = [];
    for (const part of parts) {
      if (part.type !== 'tool-call-delta') continue;
      if (!calls[part.index]) {
        expect(part).toMatchObject({ id: expect.stringMatching(/^call_/), name: expect.any(String) });
        calls[part.index] = { id: part.id ?? '', name: part.name ?? '', arguments: '' };
      }
      (calls[part.index] as { arguments: string }).arguments += part.argumentsDelta ?? '';
    }
    // End of turn is suppressed, so the model calls until the cap.
    expect(calls).toHaveLength(2);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    for (const call of calls) {
      const args = JSON.parse(call.arguments) as Record<string, unknown>;
      if (call.name === 'get_weather') {
        expect(typeof args['city']).toBe('string');
        expect(['celsius', 'fahrenheit']).toContain(args['unit']);
      } else {
        expect(call.name).toBe('current_time');
        expect(args).toEqual({});
      }
    }
    expect(finishOf(parts)?.finishReason).toBe('tool_calls');
    expect(textOf(parts)).toBe('');
  });

  it('a named tool_choice calls that function; doGenerate collects the calls', async () => {
    const model = fx.provider.languageModel('duo', { maxParallelToolCalls: 1 });
    const result = await model.doGenerate({
      messages: hello,
      tools: [timeTool, weatherTool],
      toolChoice: { type: 'function', function: { name: 'get_weather' } },
      maxTokens: 300,
      seed: 6,
    });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ id: expect.stringMatching(/^call_/), name: 'get_weather' });
    expect(JSON.parse(result.toolCalls[0]?.arguments ?? '')).toEqual({ city: expect.any(String), unit: expect.stringMatching(/^(celsius|fahrenheit)$/) });
  });

  it('max_tokens that cuts a tool call ends with finish reason length', async () => {
    const result = await duo.doGenerate({ messages: hello, tools: [weatherTool], toolChoice: 'required', maxTokens: 4, seed: 1 });
    expect(result.finishReason).toBe('length');
    expect(result.usage.completion_tokens).toBe(4);
  });

  it('tool_choice "none" answers in text', async () => {
    const result = await duo.doGenerate({ messages: hello, tools: [weatherTool], toolChoice: 'none', maxTokens: 20, seed: 1 });
    expect(result.toolCalls).toEqual([]);
    expect(result.finishReason).toBe('length');
  });

  it('a named tool_choice that is not among the tools is a bad request', async () => {
    await expect(
      duo.doStream({ messages: hello, tools: [timeTool], toolChoice: { type: 'function', function: { name: 'nope' } } }),
    ).rejects.toMatchObject({ details: { status: 400, isRetryable: false } });
  });
});

describe('llama-cpp: concurrency and cancellation', () => {
  it('parallel=2 runs two calls at once and a third waits for a free sequence', async () => {
    const settledAtResolve: number[] = [];
    const settledBefore = fx.settled.length;
    const calls = [0, 1, 2].map(async (i) => {
      const { stream } = await duo.doStream({ messages: hello, maxTokens: 400, seed: i });
      settledAtResolve[i] = fx.settled.length - settledBefore;
      return collectStream(stream);
    });
    const results = await Promise.all(calls);
    // The first two got a sequence before anything finished; the third only once one of them had.
    expect(settledAtResolve.slice(0, 2)).toEqual([0, 0]);
    expect(settledAtResolve[2]).toBeGreaterThanOrEqual(1);
    for (const parts of results) expect(finishOf(parts)?.usage.completion_tokens).toBe(400);
    const events = fx.settled.slice(settledBefore);
    expect(events.filter((e) => e.model === 'duo' && e.outcome === 'finished')).toHaveLength(3);
    expect(Math.max(...events.map((e) => e.waitMs))).toBeGreaterThan(Math.min(...events.map((e) => e.generateMs)) * 0.5);
  });

  it('waiting calls are served in arrival order; one aborted while waiting leaves the queue at once', async () => {
    const order: string[] = [];
    const start = (name: string, signal?: AbortSignal): Promise<StreamPart[]> =>
      solo.doStream({ messages: hello, maxTokens: 300, seed: 1, abortSignal: signal }).then(({ stream }) => {
        order.push(name);
        return collectStream(stream);
      });
    // Long enough that the first call is still generating when the aborted one has left the queue.
    let firstDone = false;
    const first = solo.doStream({ messages: hello, maxTokens: 3000, seed: 1 }).then(({ stream }) => {
      order.push('first');
      return collectStream(stream).finally(() => (firstDone = true));
    });
    const controller = new AbortController();
    const second = start('second', controller.signal);
    const third = start('third');
    await until(() => fx.provider.stats().find((s) => s.model === 'solo')?.waiting === 2);
    expect(fx.provider.stats().find((s) => s.model === 'solo')).toEqual({ model: 'solo', loaded: true, parallel: 1, busy: 1, waiting: 2 });
    controller.abort();
    const rejection = await second.then(
      () => undefined,
      (error: unknown) => error,
    );
    // At once: not when a sequence came free (the first call still holds the only one).
    expect(firstDone).toBe(false);
    expect(rejection).toBeInstanceOf(ProviderError);
    expect((rejection as ProviderError).details).toMatchObject({ isAbort: true, isRetryable: false });
    await Promise.all([first, third]);
    expect(order).toEqual(['first', 'third']);
  });

  it('abort mid-stream ends the stream promptly, frees the sequence, and the next call works', async () => {
    const settled = fx.nextSettled();
    const controller = new AbortController();
    // If the abort did nothing, all 5000 tokens would come: the token count below would show it.
    const { stream } = await solo.doStream({ messages: hello, maxTokens: 5000, seed: 2, abortSignal: controller.signal });
    const parts: StreamPart[] = [];
    for await (const part of stream) {
      parts.push(part);
      if (parts.length === 5) controller.abort();
    }
    expect(parts.at(-1)).toMatchObject({ type: 'error', error: { details: { isAbort: true, isRetryable: false } } });
    expect(finishOf(parts)).toBeUndefined();
    const event = await settled;
    expect(event).toMatchObject({ model: 'solo', outcome: 'aborted' });
    expect(event.completionTokens).toBeLessThan(1000);

    const next = await solo.doGenerate({ messages: hello, maxTokens: 50, seed: 2 });
    expect(next.usage.completion_tokens).toBe(50);
  });

  it('a consumer that stops reading frees the sequence', async () => {
    const settled = fx.nextSettled();
    const { stream } = await solo.doStream({ messages: hello, maxTokens: 5000, seed: 3 });
    let seen = 0;
    for await (const part of stream) if (part.type === 'text-delta' && ++seen === 3) break;
    const event = await settled;
    expect(event).toMatchObject({ model: 'solo', outcome: 'aborted' });
    expect(event.completionTokens).toBeLessThan(1000);
  });

  it('an already aborted signal fails at once', async () => {
    await expect(solo.doStream({ messages: hello, abortSignal: AbortSignal.abort() })).rejects.toMatchObject({
      details: { isAbort: true },
    });
  });
});

describe('llama-cpp: time limits', () => {
  it('first_token_timeout_ms covers waiting for a busy model; timeout_ms cuts a long generation', async () => {
    const quick = startProvider(files.dir, { first_token_timeout_ms: 300, timeout_ms: 1500, models: [{ name: 'solo' }] });
    try {
      const model = quick.provider.languageModel('solo', { ignoreEos: true });
      await quick.provider.preload('solo');
      // Long enough to outlast both limits (several seconds), short enough to end if timeout_ms failed to cut it.
      const busy = model.doStream({ messages: hello, maxTokens: 8000, seed: 1 }).then(({ stream }) => collectStream(stream));

      const started = performance.now();
      const waiting = await model.doStream({ messages: hello, maxTokens: 10 }).then(
        () => undefined,
        (error: unknown) => error as ProviderError,
      );
      // Its own limit ended it (the message says which), not timeout_ms nor the busy call finishing.
      expect(ms(started)).toBeGreaterThanOrEqual(250);
      expect(waiting?.message).toMatch(/first_token_timeout_ms/);
      expect(waiting?.details).toMatchObject({ isRetryable: true });
      expect(waiting?.details.isAbort).toBeFalsy();

      const parts = await busy;
      expect(textOf(parts).length).toBeGreaterThan(0);
      expect(errorOf(parts)?.error.message).toMatch(/timeout_ms/);
      expect(errorOf(parts)?.error.details).toMatchObject({ isRetryable: true });
    } finally {
      await quick.close();
    }
  });
});

describe('llama-cpp: close', () => {
  it('ends running calls with an error, rejects waiting ones, and refuses new ones', async () => {
    const closing = startProvider(files.dir, { models: [{ name: 'solo' }] });
    const model = closing.provider.languageModel('solo', { ignoreEos: true });
    const { stream } = await model.doStream({ messages: hello, maxTokens: 5000, seed: 1 });
    const running = collectStream(stream);
    const waiting = model.doStream({ messages: hello, maxTokens: 10 }).then(
      () => undefined,
      (e: unknown) => e as ProviderError,
    );
    await until(() => closing.provider.stats()[0]?.waiting === 1);
    await closing.close();
    const parts = await running;
    expect(parts.at(-1)?.type).toBe('error');
    expect((await waiting)?.message).toMatch(/closed/);
    await expect(model.doStream({ messages: hello })).rejects.toThrow(/closed/);
  });
});

describe('llama-cpp: models that cannot run', () => {
  it('refuses an absurd n_ctx with how much memory it needs, at once', async () => {
    const huge = startProvider(files.dir, { models: [{ name: 'huge', params: { n_ctx: 2_000_000_000, parallel: 4 } }] });
    try {
      const started = performance.now();
      const error = await huge.provider
        .languageModel('huge')
        .doStream({ messages: hello })
        .then(
          () => undefined,
          (e: unknown) => e as ProviderError,
        );
      // Refused before loading anything (room left for a busy machine).
      expect(ms(started)).toBeLessThan(10_000);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error?.message).toMatch(/model "local\/huge" needs ~\d+ GiB of RAM, [\d.]+ GiB free; lower n_ctx/);
      expect(error?.details.isRetryable).toBe(false);
    } finally {
      await huge.close();
    }
  });

  it('refuses when node-llama-cpp estimates more than is free', async () => {
    // 2 MB free: more than the weights and KV cache alone (~1 MB), less than with llama.cpp's buffers.
    const tight = startProvider(files.dir, { models: [{ name: 'solo' }] }, { assumeFreeMemory: { ram: 2_000_000 } });
    try {
      await expect(tight.provider.preload('solo')).rejects.toThrow(/needs ~0\.0 GiB of RAM, 0\.0 GiB free/);
    } finally {
      await tight.close();
    }
  });

  it('a missing model file says which file and how to get a model, and works once the file is there', async () => {
    const later = startProvider(files.dir, { models: [{ name: 'later', file: 'later.gguf', params: { n_ctx: 512 } }] });
    try {
      const model = later.provider.languageModel('later', { ignoreEos: true });
      const error = await model.doStream({ messages: hello }).then(
        () => undefined,
        (e: unknown) => e as ProviderError,
      );
      expect(error).toBeInstanceOf(ProviderError);
      expect(error?.message).toContain(path.join(files.dir, 'later.gguf'));
      expect(error?.message).toContain('switchboard models download <name>');
      expect(error?.message).toContain('switchboard models make-test-model');
      expect(error?.details.isRetryable).toBe(false);

      await writeTestModel(path.join(files.dir, 'later.gguf'), { seed: 3 });
      expect((await model.doGenerate({ messages: hello, maxTokens: 3 })).usage.completion_tokens).toBe(3);
    } finally {
      await later.close();
    }
  });

  it('a model name that is not configured is a 404', () => {
    expect(() => fx.provider.languageModel('nope')).toThrow(ProviderError);
    expect(() => fx.provider.languageModel('nope')).toThrow(/not configured for provider "local" \(configured: duo, solo\)/);
  });

  it('a file that is not a GGUF model fails with a clear load error', async () => {
    await writeFile(path.join(files.dir, 'junk.gguf'), 'not a model');
    const junk = startProvider(files.dir, { models: [{ name: 'junk', file: 'junk.gguf' }] });
    try {
      await expect(junk.provider.preload('junk')).rejects.toThrow(/could not load model "local\/junk"/);
    } finally {
      await junk.close();
    }
  });
});
