import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ResponseFormat, ToolDefinition, Usage } from '@switchboard/contracts';
import { ProviderError, type CallOptions, type LanguageModel, type StreamPart } from '../src/index.js';

/**
 * One behavioural suite for every LanguageModel adapter (openai-compatible over a fake upstream, llama-cpp
 * with a generated model, ...). A target declares what it can do; tests that need a capability it lacks are
 * skipped, never weakened. A spec runs it with:
 *
 *   describeLanguageModelConformance({
 *     name: 'llama-cpp with the generated test model',
 *     capabilities: { scriptedAnswers: false, requestInspection: false, httpErrors: false, silence: false,
 *                     streamFaults: false, toolCalls: true, jsonSchema: true },
 *     setup: async () => ({ target: { createModel, scriptAnswer: () => {}, baseOptions: { maxTokens: 48 } },
 *                           teardown }),
 *   });
 *
 * See openai-compatible.conformance.spec.ts for a target with every capability.
 */

/** What the target should answer to the calls that follow (until scripted again). */
export type ScriptedAnswer =
  | { type: 'text'; text: string; deltas?: number; usage?: Usage; delayBetweenDeltasMs?: number }
  | { type: 'tool-calls'; calls: { name: string; arguments: string }[]; usage?: Usage }
  | { type: 'http-error'; status: number; message?: string; retryAfterSeconds?: number }
  /** The provider accepts the call and then produces nothing. */
  | { type: 'silence' }
  /** The connection dies after the first `afterDeltas` of these text deltas. */
  | { type: 'drop-mid-stream'; chunks: string[]; afterDeltas: number }
  /** The provider reports an error inside the stream after the first `afterDeltas` of these text deltas. */
  | { type: 'error-mid-stream'; chunks: string[]; afterDeltas: number; message: string };

export interface ConformanceCapabilities {
  /** Answers are exactly what scriptAnswer says (a fake upstream). False for a real model: content is free. */
  scriptedAnswers: boolean;
  /** lastRequestBody() shows the OpenAI-format body the provider received. */
  requestInspection: boolean;
  /** http-error answers can be scripted. */
  httpErrors: boolean;
  /** silence answers can be scripted (first-token timeout, abort while waiting). */
  silence: boolean;
  /** drop-mid-stream and error-mid-stream answers can be scripted. */
  streamFaults: boolean;
  /** The model can produce tool calls (when forced with tool_choice, for a real model). */
  toolCalls: boolean;
  /** response_format json_schema is honoured (passed upstream, or enforced by a grammar). */
  jsonSchema: boolean;
}

export interface ModelLimits {
  firstTokenTimeoutMs?: number;
  timeoutMs?: number;
}

export interface ConformanceTarget {
  /** A model under test; `limits` shorten its timeouts for the tests that need it. */
  createModel(limits?: ModelLimits): LanguageModel | Promise<LanguageModel>;
  /** Scripts the next answers; a no-op for targets without `scriptedAnswers`. */
  scriptAnswer(answer: ScriptedAnswer): void;
  /** The body the provider received for the most recent call (requestInspection targets). */
  lastRequestBody?(): Record<string, unknown> | undefined;
  /**
   * Resolves once the provider let go of the most recent call (the upstream saw its socket close, the local
   * context sequence was freed); rejects if the call instead ran to completion.
   */
  callReleased?(): Promise<void>;
  /** Merged into every call: a real model needs maxTokens, for instance. */
  baseOptions?: Partial<CallOptions>;
}

export interface ConformanceSuite {
  name: string;
  capabilities: ConformanceCapabilities;
  setup(): Promise<{ target: ConformanceTarget; teardown(): Promise<void> }>;
}

interface Outcome {
  parts: StreamPart[];
  /** From a rejected doStream, a thrown iteration, or the `error` part. */
  error?: ProviderError;
  /** doStream itself rejected (no stream at all). */
  rejected: boolean;
}

function asProviderError(error: unknown): ProviderError {
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

async function drain(stream: AsyncIterable<StreamPart>, parts: StreamPart[]): Promise<ProviderError | undefined> {
  try {
    for await (const part of stream) parts.push(part);
  } catch (error) {
    return asProviderError(error);
  }
  const last = parts.at(-1);
  return last?.type === 'error' ? last.error : undefined;
}

async function streamOutcome(model: LanguageModel, options: CallOptions): Promise<Outcome> {
  let stream: AsyncIterable<StreamPart>;
  try {
    ({ stream } = await model.doStream(options));
  } catch (error) {
    return { parts: [], error: asProviderError(error), rejected: true };
  }
  const parts: StreamPart[] = [];
  const error = await drain(stream, parts);
  return { parts, error, rejected: false };
}

/** Every stream ends with exactly one `finish` or `error`, and nothing follows it. */
function expectWellFormed(parts: StreamPart[]): void {
  const terminal = parts.filter((p) => p.type === 'finish' || p.type === 'error');
  expect(terminal).toHaveLength(1);
  expect(parts.at(-1)).toBe(terminal[0]);
}

const textOf = (parts: StreamPart[]): string => parts.map((p) => (p.type === 'text-delta' ? p.delta : '')).join('');
const finishOf = (parts: StreamPart[]): Extract<StreamPart, { type: 'finish' }> | undefined =>
  parts.find((p): p is Extract<StreamPart, { type: 'finish' }> => p.type === 'finish');

/** Reassembles tool-call deltas by index, checking that the first delta of each index carries id and name. */
function reassembleToolCalls(parts: StreamPart[]): { id: string; name: string; arguments: string }[] {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const part of parts) {
    if (part.type !== 'tool-call-delta') continue;
    let call = calls[part.index];
    if (!call) {
      expect(part.id).toEqual(expect.any(String));
      expect(part.name).toEqual(expect.any(String));
      call = calls[part.index] = { id: part.id as string, name: part.name as string, arguments: '' };
    }
    call.arguments += part.argumentsDelta ?? '';
  }
  expect(calls.every(Boolean)).toBe(true);
  return calls;
}

const ms = (since: number): number => performance.now() - since;

const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};
const timeTool: ToolDefinition = {
  type: 'function',
  function: { name: 'current_time', description: 'The current time', parameters: { type: 'object', properties: {} } },
};
const citySchema: ResponseFormat = {
  type: 'json_schema',
  json_schema: {
    name: 'city',
    strict: true,
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
      additionalProperties: false,
    },
  },
};

export function describeLanguageModelConformance(suite: ConformanceSuite): void {
  const caps = suite.capabilities;
  const when = (flag: boolean): typeof it.skip => (flag ? it : it.skip);

  describe(`LanguageModel conformance: ${suite.name}`, () => {
    let target: ConformanceTarget;
    let teardown: () => Promise<void>;
    let model: LanguageModel;

    // Setup starts real parts (a model, a server): on a machine shared with other suites it can outlast 30 s.
    beforeAll(async () => {
      ({ target, teardown } = await suite.setup());
      model = await target.createModel();
    }, 120_000);
    afterAll(() => teardown?.());

    const call = (options: Partial<CallOptions> = {}): CallOptions => ({
      messages: [{ role: 'user', content: 'Say something.' }],
      ...target.baseOptions,
      ...options,
    });

    it('streams text in many deltas and ends with one finish', async () => {
      const text = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
      target.scriptAnswer({ type: 'text', text, deltas: 40 });
      const { parts, error } = await streamOutcome(model, call());
      expect(error).toBeUndefined();
      expectWellFormed(parts);
      const deltas = parts.filter((p) => p.type === 'text-delta');
      expect(deltas.length).toBeGreaterThanOrEqual(caps.scriptedAnswers ? 40 : 2);
      if (caps.scriptedAnswers) {
        expect(textOf(parts)).toBe(text);
        expect(finishOf(parts)?.finishReason).toBe('stop');
      } else {
        expect(['stop', 'length']).toContain(finishOf(parts)?.finishReason);
      }
    });

    it('reports usage on finish', async () => {
      target.scriptAnswer({ type: 'text', text: 'one two three', usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } });
      const { parts } = await streamOutcome(model, call());
      const usage = finishOf(parts)?.usage;
      if (caps.scriptedAnswers) {
        expect(usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
      } else {
        expect(usage?.completion_tokens).toBeGreaterThan(0);
        expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
      }
    });

    it('doGenerate returns the text, finish reason and usage', async () => {
      target.scriptAnswer({ type: 'text', text: 'A whole answer at once.', usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } });
      const result = await model.doGenerate(call());
      expect(result.toolCalls).toEqual([]);
      if (caps.scriptedAnswers) {
        expect(result.text).toBe('A whole answer at once.');
        expect(result.finishReason).toBe('stop');
        expect(result.usage).toEqual({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
      } else {
        expect(result.text.length).toBeGreaterThan(0);
        expect(result.usage.completion_tokens).toBeGreaterThan(0);
      }
    });

    it('serves concurrent streams without mixing them up', async () => {
      const text = 'the same answer for everyone';
      target.scriptAnswer({ type: 'text', text });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => streamOutcome(model, call())));
      for (const { parts, error } of outcomes) {
        expect(error).toBeUndefined();
        expectWellFormed(parts);
        if (caps.scriptedAnswers) expect(textOf(parts)).toBe(text);
      }
    });

    it('abort mid-stream ends the stream promptly with an abort error and releases the call', async () => {
      target.scriptAnswer({ type: 'text', text: 'tick '.repeat(400), deltas: 400, delayBetweenDeltasMs: 10 });
      const controller = new AbortController();
      const { stream } = await model.doStream(call({ abortSignal: controller.signal, maxTokens: 400 }));
      const parts: StreamPart[] = [];
      const iterator = stream[Symbol.asyncIterator]();
      while (parts.filter((p) => p.type === 'text-delta').length < 3) {
        const next = await iterator.next();
        expect(next.done).toBe(false);
        parts.push(next.value as StreamPart);
      }
      const abortedAt = performance.now();
      controller.abort();
      const error = await drain({ [Symbol.asyncIterator]: () => iterator }, parts);
      expect(ms(abortedAt)).toBeLessThan(1000);
      expect(error?.details.isAbort).toBe(true);
      expect(error?.details.isRetryable).toBe(false);
      expect(finishOf(parts)).toBeUndefined();
      if (parts.at(-1)?.type === 'error') expectWellFormed(parts);
      await target.callReleased?.();
    });

    it('an already aborted signal fails at once with an abort error', async () => {
      target.scriptAnswer({ type: 'text', text: 'never sent' });
      const controller = new AbortController();
      controller.abort();
      const started = performance.now();
      const { error, parts } = await streamOutcome(model, call({ abortSignal: controller.signal }));
      expect(ms(started)).toBeLessThan(500);
      expect(error?.details.isAbort).toBe(true);
      expect(textOf(parts)).toBe('');
      await expect(model.doGenerate(call({ abortSignal: controller.signal }))).rejects.toMatchObject({
        details: { isAbort: true },
      });
    });

    when(caps.silence)('abort while waiting for the first token ends the call promptly', async () => {
      target.scriptAnswer({ type: 'silence' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = performance.now();
      const { error } = await streamOutcome(model, call({ abortSignal: controller.signal }));
      expect(ms(started)).toBeLessThan(1000);
      expect(error?.details.isAbort).toBe(true);
      await target.callReleased?.();
    });

    it('a consumer that stops reading releases the call', async () => {
      target.scriptAnswer({ type: 'text', text: 'tock '.repeat(400), deltas: 400, delayBetweenDeltasMs: 10 });
      const { stream } = await model.doStream(call({ maxTokens: 400 }));
      let seen = 0;
      for await (const part of stream) if (part.type === 'text-delta' && ++seen === 2) break;
      await target.callReleased?.();
    });

    when(caps.scriptedAnswers)('stops at a stop sequence', async () => {
      target.scriptAnswer({ type: 'text', text: 'alpha beta STOP gamma delta' });
      const { parts } = await streamOutcome(model, call({ stop: ['STOP'] }));
      expect(textOf(parts)).toBe('alpha beta ');
      expect(finishOf(parts)?.finishReason).toBe('stop');
      if (caps.requestInspection) expect(target.lastRequestBody?.()?.['stop']).toEqual(['STOP']);
    });

    when(caps.requestInspection)('passes sampling options through', async () => {
      target.scriptAnswer({ type: 'text', text: 'ok' });
      await streamOutcome(
        model,
        call({ maxTokens: 77, temperature: 0.3, topP: 0.9, seed: 42, presencePenalty: 0.5, frequencyPenalty: -0.5 }),
      );
      expect(target.lastRequestBody?.()).toMatchObject({
        max_tokens: 77,
        temperature: 0.3,
        top_p: 0.9,
        seed: 42,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
      });
    });

    when(caps.toolCalls)('streams tool calls whose deltas reassemble into the calls', async () => {
      const scripted = [
        { name: 'get_weather', arguments: '{"city":"Paris"}' },
        { name: 'current_time', arguments: '{}' },
      ];
      target.scriptAnswer({ type: 'tool-calls', calls: scripted });
      const tools = [weatherTool, timeTool];
      const toolChoice = caps.scriptedAnswers ? ('auto' as const) : ('required' as const);
      const { parts, error } = await streamOutcome(model, call({ tools, toolChoice }));
      expect(error).toBeUndefined();
      expectWellFormed(parts);
      const calls = reassembleToolCalls(parts);
      expect(finishOf(parts)?.finishReason).toBe('tool_calls');
      if (caps.scriptedAnswers) {
        expect(calls.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual(scripted);
        expect(new Set(calls.map((c) => c.id)).size).toBe(2);
      } else {
        expect(calls.length).toBeGreaterThan(0);
        for (const c of calls) {
          expect(['get_weather', 'current_time']).toContain(c.name);
          expect(() => JSON.parse(c.arguments)).not.toThrow();
        }
      }
      if (caps.requestInspection) {
        const body = target.lastRequestBody?.();
        expect(body?.['tools']).toEqual(tools);
        expect(body?.['tool_choice']).toBe(toolChoice);
      }
    });

    when(caps.toolCalls)('doGenerate returns tool calls', async () => {
      target.scriptAnswer({ type: 'tool-calls', calls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
      const result = await model.doGenerate(call({ tools: [weatherTool], toolChoice: 'required' }));
      expect(result.finishReason).toBe('tool_calls');
      expect(result.toolCalls.length).toBeGreaterThan(0);
      expect(result.toolCalls[0]?.id).toEqual(expect.any(String));
      expect(result.toolCalls[0]?.name).toBe('get_weather');
      if (caps.scriptedAnswers) expect(result.toolCalls[0]?.arguments).toBe('{"city":"Oslo"}');
      else expect(JSON.parse(result.toolCalls[0]?.arguments ?? '')).toHaveProperty('city');
    });

    when(caps.jsonSchema)('answers in the JSON schema of response_format', async () => {
      target.scriptAnswer({ type: 'text', text: '{"city":"Paris","population":2102650}', deltas: 6 });
      const result = await model.doGenerate(call({ responseFormat: citySchema, maxTokens: 64 }));
      const value = JSON.parse(result.text) as Record<string, unknown>;
      expect(typeof value['city']).toBe('string');
      expect(Number.isInteger(value['population'])).toBe(true);
      if (caps.requestInspection) expect(target.lastRequestBody?.()?.['response_format']).toEqual(citySchema);
    });

    describe('errors', () => {
      const cases = [
        { status: 400, retryable: false },
        { status: 401, retryable: false },
        { status: 403, retryable: false },
        { status: 404, retryable: false },
        { status: 408, retryable: true },
        { status: 409, retryable: true },
        { status: 429, retryable: true, retryAfterSeconds: 2 },
        { status: 500, retryable: true },
        { status: 503, retryable: true },
      ];
      for (const c of cases) {
        when(caps.httpErrors)(`HTTP ${c.status} is a ProviderError that is ${c.retryable ? '' : 'not '}retryable`, async () => {
          target.scriptAnswer({ type: 'http-error', status: c.status, message: `scripted ${c.status}`, retryAfterSeconds: c.retryAfterSeconds });
          for (const outcome of [
            await streamOutcome(model, call()),
            await model.doGenerate(call()).then(
              () => ({ error: undefined }),
              (e: unknown) => ({ error: asProviderError(e) }),
            ),
          ]) {
            const error = outcome.error;
            expect(error?.details.status).toBe(c.status);
            expect(error?.details.isRetryable).toBe(c.retryable);
            expect(error?.details.isAbort).toBeFalsy();
            expect(error?.message).toContain(`scripted ${c.status}`);
            if (c.retryAfterSeconds) expect(error?.details.retryAfterMs).toBe(c.retryAfterSeconds * 1000);
          }
        });
      }

      when(caps.streamFaults)('a connection dropped mid-stream is a retryable error after the text so far', async () => {
        target.scriptAnswer({ type: 'drop-mid-stream', chunks: ['a ', 'b ', 'c ', 'd ', 'e ', 'f'], afterDeltas: 3 });
        const { parts, error, rejected } = await streamOutcome(model, call());
        expect(rejected).toBe(false);
        expect(textOf(parts)).toBe('a b c ');
        expect(error?.details.isRetryable).toBe(true);
        expect(error?.details.isAbort).toBeFalsy();
        expectWellFormed(parts);
      });

      when(caps.streamFaults)('an error event mid-stream becomes an error part', async () => {
        target.scriptAnswer({ type: 'error-mid-stream', chunks: ['a ', 'b ', 'c ', 'd'], afterDeltas: 2, message: 'backend fell over' });
        const { parts, error } = await streamOutcome(model, call());
        expect(textOf(parts)).toBe('a b ');
        expect(error?.message).toContain('backend fell over');
        expect(error?.details.isRetryable).toBe(true);
        expectWellFormed(parts);
      });
    });

    describe('timeouts', () => {
      when(caps.silence)('a provider silent past first_token_timeout_ms is cut with a retryable timeout error', async () => {
        const quick = await target.createModel({ firstTokenTimeoutMs: 300 });
        target.scriptAnswer({ type: 'silence' });
        const started = performance.now();
        const { error, parts } = await streamOutcome(quick, call());
        const elapsed = ms(started);
        expect(elapsed).toBeGreaterThanOrEqual(250);
        expect(elapsed).toBeLessThan(3000);
        expect(error?.details.isRetryable).toBe(true);
        expect(error?.details.isAbort).toBeFalsy();
        expect(error?.message).toMatch(/first.token/i);
        expect(textOf(parts)).toBe('');
        await target.callReleased?.();
      });

      when(caps.scriptedAnswers)('first_token_timeout_ms does not cut a stream that is slow after its first token', async () => {
        const quick = await target.createModel({ firstTokenTimeoutMs: 300 });
        target.scriptAnswer({ type: 'text', text: 'slow but steady', deltas: 3, delayBetweenDeltasMs: 200 });
        const { parts, error } = await streamOutcome(quick, call());
        expect(error).toBeUndefined();
        expect(textOf(parts)).toBe('slow but steady');
      });

      when(caps.scriptedAnswers)('timeout_ms cuts the whole call with a retryable error', async () => {
        const quick = await target.createModel({ timeoutMs: 400, firstTokenTimeoutMs: 10_000 });
        target.scriptAnswer({ type: 'text', text: 'tick '.repeat(200), deltas: 200, delayBetweenDeltasMs: 20 });
        const started = performance.now();
        const { parts, error } = await streamOutcome(quick, call({ maxTokens: 200 }));
        expect(ms(started)).toBeLessThan(2000);
        expect(textOf(parts).length).toBeGreaterThan(0);
        expect(error?.details.isRetryable).toBe(true);
        expect(error?.details.isAbort).toBeFalsy();
        expect(error?.message).toMatch(/timeout/i);
      });
    });
  });
}
