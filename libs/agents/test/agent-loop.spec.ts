import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AgentConfig, type ChatMessage, openAICompatibleProviderSchema, toolsConfigSchema } from '@switchboard/contracts';
import { createOpenAICompatibleModel } from '@switchboard/providers';
import { type FakeReply, type FakeRequest, startFakeUpstream, type FakeUpstream } from '@switchboard/testing';
import { type AgentLoopHooks, type AgentLoopInput, type AgentTool, type BudgetOverrun, createToolbox, RunBudget, runAgentLoop } from '../src/index.js';

/** The agent loop against the real openai-compatible adapter and a scripted upstream over HTTP on loopback. */

type Message = ChatMessage & { tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string };
const messagesOf = (r: FakeRequest): Message[] => (r.body as { messages: Message[] }).messages;
const toolResults = (r: FakeRequest): Message[] => messagesOf(r).filter((m) => m.role === 'tool');

const budgets = (over: Partial<AgentConfig['budgets']> = {}): AgentConfig['budgets'] => ({
  sync: { max_iterations: 5, max_seconds: 30 },
  background: { max_iterations: 10, max_seconds: 60 },
  ...over,
});

interface Recorded {
  text: string;
  progress: string[];
  client: { index: number; name?: string; argumentsDelta?: string }[];
  overruns: BudgetOverrun[];
}

function hooks(decide: (o: BudgetOverrun) => 'continue' | 'stop' = () => 'stop'): { hooks: AgentLoopHooks; seen: Recorded } {
  const seen: Recorded = { text: '', progress: [], client: [], overruns: [] };
  return {
    seen,
    hooks: {
      text: (d) => (seen.text += d),
      progress: (n) => seen.progress.push(n),
      clientToolCall: (p) => seen.client.push(p),
      budgetExceeded: (o) => {
        seen.overruns.push(o);
        return decide(o);
      },
    },
  };
}

describe('runAgentLoop', () => {
  let upstream: FakeUpstream;
  const model = () =>
    createOpenAICompatibleModel(openAICompatibleProviderSchema.parse({ name: 'fake', type: 'openai-compatible', base_url: upstream.url }), 'm');
  const tools = createToolbox(['calculator', 'current_time'], { config: toolsConfigSchema.parse({}), now: () => new Date('2026-11-22T10:00:00Z') });
  const script = (reply: (r: FakeRequest) => FakeReply) => upstream.setReply(reply);
  /** One loop run with the defaults most tests share; `over` replaces any of them. */
  const loop = (content: string, h: AgentLoopHooks, over: Partial<AgentLoopInput> = {}) =>
    runAgentLoop({
      model: model(),
      messages: [{ role: 'user', content }],
      tools,
      toolTimeoutMs: 5000,
      budget: new RunBudget(budgets()),
      signal: new AbortController().signal,
      runId: 'run',
      hooks: h,
      ...over,
    });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('runs the tools a step asks for, in parallel, feeds the results back and streams the answer', async () => {
    script((r) =>
      toolResults(r).length === 0
        ? {
            type: 'completion',
            text: 'Let me work it out. ',
            toolCalls: [
              { id: 'c1', name: 'calculator', arguments: '{"expression":"6*7"}' },
              { id: 'c2', name: 'current_time', arguments: '{"timezone":"UTC"}' },
            ],
            usage: { prompt_tokens: 20, completion_tokens: 5 },
          }
        : { type: 'completion', text: 'It is 42.', usage: { prompt_tokens: 40, completion_tokens: 3 } },
    );
    const before = upstream.requests.length;
    const { hooks: h, seen } = hooks();
    const result = await loop('what is 6*7 and what time is it?', h);

    expect(result.text).toBe('Let me work it out. It is 42.');
    expect(seen.text).toBe(result.text);
    expect(result.finishReason).toBe('stop');
    expect(result.iterations).toBe(2);
    expect(result.usage).toEqual({ prompt_tokens: 60, completion_tokens: 8, total_tokens: 68 });
    expect(result.toolSteps.map((s) => [s.name, s.ok])).toEqual([['calculator', true], ['current_time', true]]);

    const calls = upstream.requests.slice(before);
    expect(calls).toHaveLength(2);
    // The model saw the tools, then its own calls and their results, in the order it asked for them.
    expect((calls[0]!.body as { tools: { function: { name: string } }[] }).tools.map((t) => t.function.name)).toEqual(['calculator', 'current_time']);
    const second = messagesOf(calls[1]!);
    expect(second.at(-3)).toMatchObject({ role: 'assistant', content: 'Let me work it out. ', tool_calls: [{ id: 'c1' }, { id: 'c2' }] });
    expect(second.at(-2)).toMatchObject({ role: 'tool', tool_call_id: 'c1', content: '42' });
    expect(second.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'c2' });
    expect(String(second.at(-1)!.content)).toContain('2026-11-22T10:00:00');
    expect(seen.progress.join('')).toMatch(/Running calculator\(\{"expression":"6\*7"\}\)[\s\S]*calculator → 42/);
  });

  it('gives a failing tool call back to the model as text and goes on', async () => {
    script((r) =>
      toolResults(r).length === 0
        ? { type: 'completion', toolCalls: [{ id: 'bad', name: 'calculator', arguments: '{"expression":"1/0"}' }, { id: 'nope', name: 'shell', arguments: '{}' }] }
        : { type: 'completion', text: 'Cannot divide by zero.' },
    );
    const before = upstream.requests.length;
    const { hooks: h } = hooks();
    const result = await loop('1/0?', h);
    expect(result.text).toBe('Cannot divide by zero.');
    const fed = toolResults(upstream.requests[before + 1]!);
    expect(String(fed[0]!.content)).toMatch(/^Error: .*zero/i);
    expect(String(fed[1]!.content)).toMatch(/no tool named "shell"/);
    expect(result.toolSteps.map((s) => s.ok)).toEqual([false, false]);
  });

  it('passes calls to the client\'s own tools through and ends with tool_calls', async () => {
    script(() => ({ type: 'completion', toolCalls: [{ id: 'w1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] }));
    const { hooks: h, seen } = hooks();
    const result = await loop('weather?', h, { clientTools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }] });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.clientToolCalls).toEqual([{ id: 'w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]);
    expect(seen.client[0]).toMatchObject({ index: 0, name: 'get_weather' });
    expect(seen.client.map((p) => p.argumentsDelta ?? '').join('')).toBe('{"city":"Oslo"}');
    expect(result.toolSteps).toEqual([]);
  });

  it('stops at the iteration budget with what it has and says why', async () => {
    // A model that never stops calling tools: the budget must end it.
    script(() => ({ type: 'completion', text: 'step. ', toolCalls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }] }));
    const { hooks: h, seen } = hooks(() => 'stop');
    const result = await loop('loop forever', h, { budget: new RunBudget(budgets({ sync: { max_iterations: 3, max_seconds: 30 } })) });
    expect(result.iterations).toBe(3);
    expect(result.stoppedBy).toMatchObject({ limit: 'iterations', phase: 'sync', max: 3 });
    expect(result.finishReason).toBe('length');
    expect(result.text).toBe('step. step. step. \n\n[Stopped: the sync budget of 3 model calls was used up.]');
    expect(seen.overruns).toHaveLength(1);
  });

  it('moves on to the background budget when told to, then stops at that one', async () => {
    script(() => ({ type: 'completion', text: 'x', toolCalls: [{ name: 'calculator', arguments: '{"expression":"2"}' }] }));
    const budget = new RunBudget(budgets({ sync: { max_iterations: 2, max_seconds: 30 }, background: { max_iterations: 4, max_seconds: 60 } }));
    const { hooks: h, seen } = hooks((o) => {
      if (o.phase !== 'sync') return 'stop';
      budget.enterBackground();
      return 'continue';
    });
    const result = await loop('long task', h, { budget });
    expect(seen.overruns.map((o) => o.phase)).toEqual(['sync', 'background']);
    expect(result.iterations).toBe(4);
    expect(result.stoppedBy).toMatchObject({ limit: 'iterations', phase: 'background', max: 4 });
  });

  it('cuts a model call that outlives the time budget', async () => {
    // The call never ends by itself (the upstream goes silent after one delta): only the budget can end it.
    script(() => ({ type: 'completion', chunks: ['slow ', 'slow ', 'slow'], hangAfterDeltas: 1 }));
    const { hooks: h } = hooks(() => 'stop');
    const result = await loop('take your time', h, { budget: new RunBudget(budgets({ sync: { max_iterations: 5, max_seconds: 0.5 } })) });
    expect(result.stoppedBy).toMatchObject({ limit: 'seconds', phase: 'sync' });
    expect(result.text).toMatch(/^slow \s*\[Stopped: the sync budget of 0.5 seconds was used up\.\]$/);
  });

  it('lets a streaming call go on when the sync time runs out and the run moves to the background', async () => {
    script(() => ({ type: 'completion', chunks: ['one ', 'two ', 'three'], deltaDelayMs: 200 }));
    const budget = new RunBudget(budgets({ sync: { max_iterations: 5, max_seconds: 0.3 }, background: { max_iterations: 5, max_seconds: 30 } }));
    const { hooks: h, seen } = hooks((o) => {
      budget.enterBackground();
      return o.phase === 'sync' ? 'continue' : 'stop';
    });
    const result = await loop('slow but fine', h, { budget });
    expect(seen.overruns).toEqual([expect.objectContaining({ limit: 'seconds', phase: 'sync' })]);
    expect(result.stoppedBy).toBeNull();
    expect(result.text).toBe('one two three');
    expect(budget.phase).toBe('background');
  });

  it('stops at the per-run token budget', async () => {
    script(() => ({ type: 'completion', text: 'more', toolCalls: [{ name: 'calculator', arguments: '{"expression":"3"}' }], usage: { prompt_tokens: 60, completion_tokens: 10 } }));
    const { hooks: h, seen } = hooks(() => 'continue');
    const result = await loop('spend', h, { budget: new RunBudget(budgets({ max_tokens: 100 })) });
    // 70 tokens after one call, 140 after two: the third never starts, whatever the hook says.
    expect(result.iterations).toBe(2);
    expect(result.stoppedBy).toMatchObject({ limit: 'tokens', max: 100, used: 140 });
    expect(seen.overruns[0]!.limit).toBe('tokens');
  });

  it('ends at once when the run is cancelled while a tool runs, without waiting for the tool timeout', async () => {
    script(() => ({ type: 'completion', toolCalls: [{ name: 'slow_tool', arguments: '{}' }] }));
    const abort = new AbortController();
    let toolStarted = false;
    const slowTool: AgentTool = {
      name: 'slow_tool',
      definition: { type: 'function', function: { name: 'slow_tool', parameters: { type: 'object' } } },
      execute: (_args, ctx) => {
        toolStarted = true;
        setTimeout(() => abort.abort(new Error('cancelled by its owner')), 100);
        // A tool that honours its signal: it ends when the run is cancelled.
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    };
    const { hooks: h } = hooks();
    const started = Date.now();
    const run = loop('x', h, { tools: [slowTool], toolTimeoutMs: 60_000, signal: abort.signal });
    await expect(run).rejects.toThrow('cancelled by its owner');
    expect(toolStarted).toBe(true);
    // Far below the tool timeout (60 s), with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('moves to the background (not stop) when time runs out during the last call the sync budget allows', async () => {
    script(() => ({ type: 'completion', chunks: ['a ', 'b ', 'c'], deltaDelayMs: 200 }));
    const budget = new RunBudget(budgets({ sync: { max_iterations: 1, max_seconds: 0.2 }, background: { max_iterations: 3, max_seconds: 30 } }));
    const { hooks: h, seen } = hooks((o) => {
      if (o.phase !== 'sync') return 'stop';
      budget.enterBackground();
      return 'continue';
    });
    const result = await loop('one slow call', h, { budget });
    expect(seen.overruns[0]).toMatchObject({ limit: 'seconds', phase: 'sync' });
    expect(result.stoppedBy).toBeNull();
    expect(result.text).toBe('a b c');
  });

  it('holds the time budget while tools run: a slow tool is cut when the agent stops at the budget', async () => {
    script((r) => (toolResults(r).length === 0 ? { type: 'completion', toolCalls: [{ name: 'slow_tool', arguments: '{}' }] } : { type: 'completion', text: 'late' }));
    const slowTool: AgentTool = {
      name: 'slow_tool',
      definition: { type: 'function', function: { name: 'slow_tool', parameters: { type: 'object' } } },
      execute: (_args, ctx) =>
        new Promise((resolve, reject) => {
          const t = setTimeout(() => resolve('finally'), 20_000);
          ctx.signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))));
        }),
    };
    const { hooks: h } = hooks(() => 'stop');
    const started = Date.now();
    const result = await loop('x', h, { tools: [slowTool], toolTimeoutMs: 60_000, budget: new RunBudget(budgets({ sync: { max_iterations: 5, max_seconds: 0.4 } })) });
    // Far below the tool's 20 s, with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stoppedBy).toMatchObject({ limit: 'seconds', phase: 'sync' });
    expect(result.text).toBe('[Stopped: the sync budget of 0.4 seconds was used up.]');
  });

  it('offers no client tools once the run is in the background (nobody could answer them)', async () => {
    script(() => ({ type: 'completion', text: 'done' }));
    const before = upstream.requests.length;
    const budget = new RunBudget(budgets(), 'background');
    const { hooks: h } = hooks();
    await loop('x', h, { clientTools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }], budget });
    const offered = (upstream.requests[before]!.body as { tools: { function: { name: string } }[] }).tools.map((t) => t.function.name);
    expect(offered).toEqual(['calculator', 'current_time']);
  });
});
