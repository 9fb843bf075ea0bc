import type { ChatMessage, FinishReason, ToolCall, ToolDefinition, Usage } from '@switchboard/contracts';
import { addUsage, type CallOptions, emptyUsage, type LanguageModel, ProviderError } from '@switchboard/providers';
import { type BudgetOverrun, describeOverrun, type RunBudget } from './run-budget.js';
import type { AgentTool } from './tool.js';
import { runToolCall } from './tools/index.js';

/** What the loop tells the world while it works. All hooks are synchronous: they only queue output. */
export interface AgentLoopHooks {
  /** Answer text, as the model streams it (every step's text is part of the answer). */
  text(delta: string): void;
  /** What is happening between answers (tool steps), for clients that show reasoning. */
  progress(note: string): void;
  /** A fragment of a call to one of the CLIENT's tools (request `tools`), passed through with its own index. */
  clientToolCall(part: { index: number; id?: string; name?: string; argumentsDelta?: string }): void;
  /**
   * A budget ran out. `continue` means the caller moved the run to its background budget (the budget's phase
   * is now `background`); `stop` ends the run with what it has.
   */
  budgetExceeded(overrun: BudgetOverrun): 'continue' | 'stop';
  /** The first token of the run arrived (time to first token). */
  firstToken?(): void;
}

export interface AgentLoopInput {
  model: LanguageModel;
  /** The conversation, system prompt first. */
  messages: ChatMessage[];
  /** Text an earlier attempt already streamed: the model continues it instead of starting over. */
  prefix?: string;
  /** Sampling settings passed to every model call. */
  call?: Omit<CallOptions, 'messages' | 'tools' | 'abortSignal'>;
  /** Tools the worker runs. */
  tools: readonly AgentTool[];
  /** Tools the client declared: calls to them end the loop and go back to the client, as OpenAI does. */
  clientTools?: readonly ToolDefinition[];
  toolTimeoutMs: number;
  budget: RunBudget;
  /** The cost of one call's usage in the configured currency; 0 when unpriced. */
  price?: (usage: Usage) => number;
  signal: AbortSignal;
  runId: string;
  /** call_agent nesting depth. */
  depth?: number;
  hooks: AgentLoopHooks;
}

export interface AgentLoopResult {
  /** The whole answer, every step's text in order (what the client saw, plus the stop note). */
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** Calls to client tools the run ended with (finish reason `tool_calls`). */
  clientToolCalls: ToolCall[];
  /** Set when a budget ended the run. */
  stoppedBy: BudgetOverrun | null;
  /** Model calls made. */
  iterations: number;
  /** Tool calls the worker ran, in order. */
  toolSteps: { name: string; ok: boolean; ms: number }[];
}

/** The reason given to a model call cut short by the time budget. */
class BudgetStop extends Error {
  constructor(readonly overrun: BudgetOverrun) {
    super(describeOverrun(overrun));
  }
}

const PREVIEW = 160;
const MAX_TIMER_MS = 2 ** 31 - 1;
const preview = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW ? `${flat.slice(0, PREVIEW)}…` : flat;
};

/**
 * Watches the time budget of the current phase. When it runs out, the caller's hook decides: `continue` (the
 * run moved to the background, whose limit is then watched) or stop, which calls `abort` with a BudgetStop.
 * Returns the function that stops watching.
 */
function watchTime(budget: RunBudget, hooks: AgentLoopHooks, abort: (reason: unknown) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    // setTimeout fires at once past 2^31-1 ms (~24.8 days): wait in steps that long.
    timer = setTimeout(() => {
      if (budget.msLeft() > 0) return arm();
      try {
        // Only time (or a hard limit) is due here: the iteration count already includes the current call.
        const late = budget.hardOverrun() ?? budget.timeOverrun();
        if (late.limit === 'seconds' && hooks.budgetExceeded(late) === 'continue' && budget.msLeft() > 0) arm();
        else abort(new BudgetStop(late));
      } catch (error) {
        // A throw here would escape the timer and end the process: fail the run instead.
        abort(error);
      }
    }, Math.min(budget.msLeft() + 1, MAX_TIMER_MS));
    timer.unref?.();
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * The agent loop: call the model with the tools, run the calls it asks for (all of one step in parallel, each
 * under its own timeout), feed the results back, and go on until it answers, a client tool is called, or a
 * budget ends the run. Budgets are checked before every model call, and the time limit also while a call
 * streams, so a slow model cannot hold the client past `max_seconds`.
 */
export async function runAgentLoop(input: AgentLoopInput): Promise<AgentLoopResult> {
  const { model, budget, hooks, signal } = input;
  const serverTools = new Map(input.tools.map((t) => [t.name, t]));
  const clientToolNames = new Set((input.clientTools ?? []).map((t) => t.function.name));
  const serverDefinitions = input.tools.map((t) => t.definition);
  const definitions = [...serverDefinitions, ...(input.clientTools ?? [])];
  const messages = [...input.messages];
  let usage = emptyUsage();
  const toolSteps: AgentLoopResult['toolSteps'] = [];
  let text = '';
  let first = true;

  const stop = (overrun: BudgetOverrun): AgentLoopResult => {
    const note = `${text ? '\n\n' : ''}[Stopped: ${describeOverrun(overrun)}.]`;
    text += note;
    hooks.text(note);
    return { text, finishReason: 'length', usage, clientToolCalls: [], stoppedBy: overrun, iterations: budget.iterations, toolSteps };
  };

  for (;;) {
    const overrun = budget.exceeded();
    if (overrun && hooks.budgetExceeded(overrun) === 'stop') return stop(overrun);
    if (overrun && budget.exceeded()) return stop(budget.exceeded()!);
    budget.iterations++;

    const step = new AbortController();
    const stepSignal = AbortSignal.any([signal, step.signal]);
    // The time budget while the call streams: in the sync phase the caller may move the run to the background
    // (the call goes on); otherwise the call is cut and the run ends with what it has.
    let stopTimer = watchTime(budget, hooks, (reason) => step.abort(reason));

    const stepMessages = input.prefix && first ? [...messages, { role: 'assistant' as const, content: input.prefix }] : messages;
    const maxTokens = budget.tokensLeft();
    const options: CallOptions = { ...input.call, messages: stepMessages, abortSignal: stepSignal };
    // A forced tool_choice applies to the first call only: forced on every step, the model could never answer.
    if (budget.iterations > 1) delete options.toolChoice;
    // Once in the background nobody is left to answer a client tool call: offer only the worker's tools.
    const offered = budget.phase === 'background' ? serverDefinitions : definitions;
    if (offered.length) options.tools = offered;
    if (maxTokens !== undefined) options.maxTokens = Math.min(options.maxTokens ?? maxTokens, Math.max(1, maxTokens));

    let stepText = '';
    let finishReason: FinishReason = 'stop';
    // Server tool calls by the model's index; client calls get their own dense index for the client.
    const calls = new Map<number, { id: string; name: string; args: string; client: boolean; clientIndex: number; announced: boolean }>();
    let clientCount = 0;
    try {
      const { stream } = await model.doStream(options);
      for await (const part of stream) {
        switch (part.type) {
          case 'text-delta':
            if (first) hooks.firstToken?.();
            first = false;
            stepText += part.delta;
            text += part.delta;
            hooks.text(part.delta);
            break;
          case 'tool-call-delta': {
            if (first) hooks.firstToken?.();
            first = false;
            let call = calls.get(part.index);
            if (!call) {
              const name = part.name ?? '';
              const client = !serverTools.has(name) && clientToolNames.has(name) && budget.phase === 'sync';
              call = { id: part.id ?? `call_${input.runId.slice(0, 8)}_${budget.iterations}_${part.index}`, name, args: '', client, clientIndex: client ? clientCount++ : -1, announced: false };
              calls.set(part.index, call);
            }
            const firstFragment = !call.announced;
            if (part.id) call.id = part.id;
            call.args += part.argumentsDelta ?? '';
            if (call.client) {
              // The first fragment carries the id and name (ours when the provider sent none), as OpenAI streams them.
              hooks.clientToolCall({
                index: call.clientIndex,
                id: firstFragment ? call.id : part.id,
                name: firstFragment ? call.name : part.name,
                argumentsDelta: part.argumentsDelta,
              });
              call.announced = true;
            }
            break;
          }
          case 'finish': {
            // The answer is complete: a time limit reached from here on must not cut or background it.
            stopTimer();
            finishReason = part.finishReason;
            usage = addUsage(usage, part.usage);
            budget.spend(part.usage.total_tokens, input.price?.(part.usage) ?? 0);
            break;
          }
          case 'error':
            throw part.error;
        }
      }
    } catch (error) {
      const reason: unknown = step.signal.reason;
      if (reason instanceof BudgetStop && !signal.aborted) return stop(reason.overrun);
      if (step.signal.aborted && !signal.aborted) throw reason;
      throw error;
    } finally {
      stopTimer();
    }

    const all = [...calls.values()];
    const clientCalls = all.filter((c) => c.client);
    if (clientCalls.length) {
      const clientToolCalls = clientCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } }));
      return { text, finishReason: 'tool_calls', usage, clientToolCalls, stoppedBy: null, iterations: budget.iterations, toolSteps };
    }
    if (all.length === 0) {
      return { text, finishReason: finishReason === 'tool_calls' ? 'stop' : finishReason, usage, clientToolCalls: [], stoppedBy: null, iterations: budget.iterations, toolSteps };
    }

    // Run this step's calls together; their results go back in the order the model asked for them.
    messages.push({
      role: 'assistant',
      content: stepText || null,
      tool_calls: all.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } })),
    });
    for (const c of all) hooks.progress(`Running ${c.name}(${preview(c.args)})\n`);
    // The time budget holds while tools run too: a client waits for them as much as for the model.
    const tools = new AbortController();
    const toolSignal = AbortSignal.any([signal, tools.signal]);
    stopTimer = watchTime(budget, hooks, (reason) => tools.abort(reason));
    let results: Awaited<ReturnType<typeof runToolCall>>[];
    try {
      results = await Promise.all(
        all.map(async (c) => {
          const tool = serverTools.get(c.name);
          if (!tool) return { ok: false, content: `Error: there is no tool named "${c.name}".`, ms: 0 };
          return runToolCall(tool, c.args, { runId: input.runId, depth: input.depth ?? 0 }, input.toolTimeoutMs, toolSignal);
        }),
      );
    } catch (error) {
      const reason: unknown = tools.signal.reason;
      if (reason instanceof BudgetStop && !signal.aborted) return stop(reason.overrun);
      throw error;
    } finally {
      stopTimer();
    }
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new ProviderError('aborted', { provider: model.provider, isRetryable: false, isAbort: true });
    all.forEach((c, i) => {
      const r = results[i]!;
      toolSteps.push({ name: c.name, ok: r.ok, ms: r.ms });
      hooks.progress(`${c.name} ${r.ok ? '→' : 'failed:'} ${preview(r.content)}\n`);
      messages.push({ role: 'tool', tool_call_id: c.id, content: r.content });
    });
  }
}
