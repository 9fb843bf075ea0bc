import { describe, expect, it } from '@jest/globals';
import { toolsConfigSchema } from '@switchboard/contracts';
import { type AgentTool, type ToolContext, ToolError } from '../tool.js';
import { createCalculatorTool } from './calculator.tool.js';
import { runToolCall } from './run-tool-call.js';
import { createToolbox } from './toolbox.js';

const ctx = { runId: 'run-1', depth: 2 };
const live = (): AbortSignal => new AbortController().signal;

/** A tool whose behaviour the test chooses; records the context it was given. */
function probe(execute: (args: Record<string, unknown>, ctx: ToolContext) => Promise<string>): AgentTool & { seen: ToolContext[] } {
  const seen: ToolContext[] = [];
  return {
    name: 'probe',
    definition: { type: 'function', function: { name: 'probe' } },
    seen,
    execute(args, c) {
      seen.push(c);
      return execute(args, c);
    },
  };
}

describe('runToolCall', () => {
  it('runs the tool with parsed arguments and its context', async () => {
    const tool = probe(async (args) => `got ${JSON.stringify(args)}`);
    const result = await runToolCall(tool, '{"a": 1}', ctx, 1000, live());
    expect(result).toEqual({ ok: true, content: 'got {"a":1}', ms: expect.any(Number) });
    expect(tool.seen[0]).toMatchObject({ runId: 'run-1', depth: 2 });
    expect(tool.seen[0]!.signal.aborted).toBe(false);
    await expect(runToolCall(createCalculatorTool(), '{"expression": "2^10"}', ctx, 1000, live())).resolves.toMatchObject({ ok: true, content: '1024' });
  });

  it('treats empty arguments as {}', async () => {
    const tool = probe(async (args) => JSON.stringify(args));
    await expect(runToolCall(tool, '  ', ctx, 1000, live())).resolves.toMatchObject({ ok: true, content: '{}' });
  });

  it('answers invalid JSON and non-object arguments with an error for the model, without running the tool', async () => {
    const tool = probe(async () => 'ran');
    const bad = await runToolCall(tool, '{"expression": 2 +', ctx, 1000, live());
    expect(bad.ok).toBe(false);
    expect(bad.content).toMatch(/^Error: the arguments of probe are not valid JSON \(.+\): \{"expression": 2 \+\. Send a JSON object\.$/);
    await expect(runToolCall(tool, '[1, 2]', ctx, 1000, live())).resolves.toMatchObject({
      ok: false,
      content: 'Error: the arguments of probe must be a JSON object, got an array',
    });
    await expect(runToolCall(tool, 'null', ctx, 1000, live())).resolves.toMatchObject({ content: 'Error: the arguments of probe must be a JSON object, got null' });
    await expect(runToolCall(tool, '"x"', ctx, 1000, live())).resolves.toMatchObject({ content: 'Error: the arguments of probe must be a JSON object, got a string' });
    expect(tool.seen).toEqual([]);
  });

  it('turns ToolErrors and bugs into error text, never a throw', async () => {
    const refused = probe(() => Promise.reject(new ToolError('no such page')));
    await expect(runToolCall(refused, '{}', ctx, 1000, live())).resolves.toMatchObject({ ok: false, content: 'Error: no such page' });
    const buggy = probe(() => {
      throw new TypeError('x is undefined');
    });
    await expect(runToolCall(buggy, '{}', ctx, 1000, live())).resolves.toMatchObject({
      ok: false,
      content: 'Error: probe failed unexpectedly: x is undefined',
    });
    await expect(runToolCall(createCalculatorTool(), '{"expression": "1/0"}', ctx, 1000, live())).resolves.toMatchObject({
      ok: false,
      content: expect.stringMatching(/^Error: division by zero/),
    });
  });

  it('times out a slow tool, aborting its signal, even when the tool ignores the signal', async () => {
    const polite = probe((_, c) => new Promise((_resolve, reject) => c.signal.addEventListener('abort', () => reject(new Error('aborted')))));
    const started = Date.now();
    const result = await runToolCall(polite, '{}', ctx, 100, live());
    expect(result).toMatchObject({ ok: false, content: 'Error: probe timed out after 100 ms' });
    expect(result.ms).toBeGreaterThanOrEqual(90);
    expect(polite.seen[0]!.signal.aborted).toBe(true);

    const deaf = probe(() => new Promise(() => undefined));
    await expect(runToolCall(deaf, '{}', ctx, 100, live())).resolves.toMatchObject({ ok: false, content: 'Error: probe timed out after 100 ms' });
    // Neither tool ever ends by itself: the 100 ms timeouts ended both (room left for a busy machine).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rethrows when the run is cancelled, before or during the call', async () => {
    const before = new AbortController();
    before.abort(new Error('run cancelled'));
    const tool = probe(() => new Promise(() => undefined));
    await expect(runToolCall(tool, '{}', ctx, 1000, before.signal)).rejects.toThrow('run cancelled');
    expect(tool.seen).toEqual([]);

    const during = new AbortController();
    const pending = runToolCall(tool, '{}', ctx, 5000, during.signal);
    setTimeout(() => during.abort(new Error('client went away')), 20);
    await expect(pending).rejects.toThrow('client went away');
    expect(tool.seen[0]!.signal.aborted).toBe(true);
  });
});

describe('createToolbox', () => {
  const config = toolsConfigSchema.parse({});

  it('builds the named tools in order, each once, with definitions named after them', () => {
    const tools = createToolbox(['calculator', 'current_time', 'http_fetch', 'web_search', 'calculator'], { config });
    expect(tools.map((t) => t.name)).toEqual(['calculator', 'current_time', 'http_fetch', 'web_search']);
    for (const tool of tools) expect(tool.definition.function.name).toBe(tool.name);
    expect(createToolbox([], { config })).toEqual([]);
  });

  it('passes the clock to current_time', async () => {
    const [clock] = createToolbox(['current_time'], { config, now: () => new Date('2001-02-03T04:05:06Z') });
    await expect(clock!.execute({}, { ...ctx, signal: live() })).resolves.toContain('UTC: 2001-02-03T04:05:06Z');
  });

  it('builds call_agent from deps.callAgent and refuses to build it without one', async () => {
    expect(() => createToolbox(['calculator', 'call_agent'], { config })).toThrow(/call_agent tool needs deps\.callAgent/);
    const calls: Array<[string, string, number]> = [];
    const [callAgent] = createToolbox(['call_agent'], {
      config,
      callAgent: async (agent, input, c) => {
        calls.push([agent, input, c.depth]);
        return `${agent} says hi`;
      },
    });
    expect(callAgent!.definition.function.parameters).toMatchObject({ required: ['agent', 'input'] });
    const result = await runToolCall(callAgent!, '{"agent": "helper", "input": "greet"}', ctx, 1000, live());
    expect(result).toMatchObject({ ok: true, content: 'helper says hi' });
    expect(calls).toEqual([['helper', 'greet', 2]]);
    await expect(runToolCall(callAgent!, '{"agent": "helper"}', ctx, 1000, live())).resolves.toMatchObject({
      ok: false,
      content: expect.stringMatching(/^Error: invalid arguments for call_agent: input:/),
    });
  });

  it('refuses an unknown tool name', () => {
    expect(() => createToolbox(['shell'], { config })).toThrow('createToolbox: unknown tool "shell"; known tools: current_time, calculator, http_fetch, web_search, call_agent');
  });
});
