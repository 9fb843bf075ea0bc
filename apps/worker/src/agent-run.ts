import { type AgentTool, type BudgetOverrun, createToolbox, describeOverrun, RunBudget, runAgentLoop, ToolError } from '@switchboard/agents';
import type { AgentConfig, ChatMessage, ModelCatalog, RunNotification, SwitchboardConfig } from '@switchboard/contracts';
import { addUsage, type CallOptions } from '@switchboard/providers';
import type { Logger } from 'pino';
import { markOutput, type ModelRouter, type ProviderRegistry, resolveTarget, type RouteCandidate, type RouteObserver, type RunState } from '@switchboard/runs';

/** call_agent may nest this deep: an agent that calls an agent that calls an agent, and no further. */
export const MAX_AGENT_DEPTH = 3;

export interface AgentRunDeps {
  config: SwitchboardConfig;
  catalog: ModelCatalog;
  registry: ProviderRegistry;
  router: ModelRouter;
  logger: Logger;
}

export interface AgentRunInput {
  runId: string;
  agent: AgentConfig;
  /** The agent's model and fallbacks, as the router tries them. */
  candidates: RouteCandidate[];
  messages: ChatMessage[];
  /** Text an earlier attempt streamed (continuation after a crash). */
  prefix: string;
  call: Omit<CallOptions, 'messages' | 'tools' | 'abortSignal'>;
  clientTools: NonNullable<CallOptions['tools']>;
  signal: AbortSignal;
  /** When the gateway accepted the run (ms since the epoch); budgets count from here. */
  acceptedAt: number;
  /** True when an earlier attempt already moved the run to the background. */
  background: boolean;
  state: RunState;
  /** Run events for the client (text, progress, tool-call fragments); dropped once the run is in the background. */
  emit: {
    text(delta: string): void;
    progress(note: string): void;
    tool(part: { index: number; id?: string; name?: string; argumentsDelta?: string }): void;
  };
  /** Moves the run to the background: the client's stream ends with `message`, the run goes on. */
  goBackground(message: string): void;
  notify(type: RunNotification['type'], extra?: Partial<RunNotification>): void;
}

/**
 * Runs a request addressed to an agent: its system prompt, its tools, its budgets and what happens when the
 * sync budget runs out (`background`: the client gets a short answer and the run goes on; `stop`: the run ends
 * with what it has and says why).
 */
export async function runAgent(deps: AgentRunDeps, input: AgentRunInput): Promise<void> {
  const { agent, state } = input;
  // Budgets count from when the run was accepted, not from this attempt: a retry does not get a fresh budget.
  const budget = new RunBudget(agent.budgets, input.background ? 'background' : 'sync', input.acceptedAt);
  const tools = buildTools(deps, agent, input.runId, 0, input.signal, budget, state);
  // Each model call of the loop goes through the router; the run follows whoever answered (for pricing too).
  const observer: RouteObserver = {
    serving: (c) => {
      state.provider = c.provider;
      state.model = c.model;
    },
    attempt: (a) => {
      state.attempts.push(a);
    },
  };
  const model = deps.router.model(input.candidates, observer);
  const messages: ChatMessage[] = agent.system_prompt ? [{ role: 'system', content: agent.system_prompt }, ...input.messages] : input.messages;

  const onBudget = (overrun: BudgetOverrun): 'continue' | 'stop' => {
    const liftable = overrun.phase === 'sync' && (overrun.limit === 'iterations' || overrun.limit === 'seconds');
    if (!liftable || agent.on_budget_exceeded !== 'background') return 'stop';
    budget.enterBackground();
    input.goBackground(
      `${state.text ? '\n\n' : ''}This is taking longer than a chat answer should, so it goes on in the background (run ${input.runId}). ` +
        'The result will be added to this conversation, and you will be notified when it is ready.',
    );
    return 'continue';
  };

  const result = await runAgentLoop({
    model,
    messages,
    prefix: input.prefix || undefined,
    call: input.call,
    tools,
    clientTools: input.clientTools,
    toolTimeoutMs: deps.config.tools.timeout_ms,
    budget,
    price: (usage) => deps.registry.price(state.provider, state.model, usage),
    signal: input.signal,
    runId: input.runId,
    hooks: {
      text: (delta) => {
        state.text += delta;
        input.emit.text(delta);
      },
      progress: (note) => input.emit.progress(note),
      // The loop assembles the calls (result.clientToolCalls); the client gets the fragments as they come.
      clientToolCall: (part) => input.emit.tool(part),
      budgetExceeded: onBudget,
      firstToken: () => markOutput(state),
    },
  });
  // Calls to other agents already added their usage to the state: add the loop's own on top.
  state.usage = addUsage(state.usage, result.usage);
  state.cost = budget.cost;
  if (result.clientToolCalls.length) state.toolCalls = result.clientToolCalls;
  state.finishReason = result.finishReason;
  state.output = {
    iterations: result.iterations,
    tool_steps: result.toolSteps,
    ...(result.stoppedBy ? { stopped_by: { ...result.stoppedBy, reason: describeOverrun(result.stoppedBy) } } : {}),
  };
}

const minDefined = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/** The agent's tools; call_agent runs another agent to its answer inside this run (usage counts here). */
function buildTools(
  deps: AgentRunDeps,
  agent: AgentConfig,
  runId: string,
  depth: number,
  signal: AbortSignal,
  budget: RunBudget,
  state: RunState,
): AgentTool[] {
  return createToolbox(agent.tools, {
    config: deps.config.tools,
    callAgent: async (name, task, ctx) => {
      if (depth + 1 >= MAX_AGENT_DEPTH) throw new ToolError(`call_agent cannot nest deeper than ${MAX_AGENT_DEPTH} agents.`);
      const callee = deps.config.agents.find((a) => a.name === name);
      if (!callee) {
        throw new ToolError(`There is no agent named "${name}". Agents: ${deps.config.agents.map((a) => a.name).join(', ')}.`);
      }
      const target = resolveTarget(deps.config, deps.catalog, callee.name);
      // The callee may spend at most what the caller has left, and each of its calls is charged to the caller
      // as it finishes, so a callee that times out or fails still counts.
      const tokensLeft = budget.tokensLeft();
      const childBudget = new RunBudget(
        { ...callee.budgets, max_tokens: minDefined(callee.budgets.max_tokens, tokensLeft), max_cost: minDefined(callee.budgets.max_cost, budget.costLeft()) },
        'background',
      );
      const messages: ChatMessage[] = [
        ...(callee.system_prompt ? [{ role: 'system' as const, content: callee.system_prompt }] : []),
        { role: 'user', content: task },
      ];
      const result = await runAgentLoop({
        model: deps.router.model(target.candidates, { attempt: (a) => void state.attempts.push(a) }),
        messages,
        tools: buildTools(deps, callee, runId, depth + 1, signal, budget, state),
        toolTimeoutMs: deps.config.tools.timeout_ms,
        budget: childBudget,
        price: (usage) => {
          const cost = deps.registry.price(target.provider, target.model, usage);
          budget.spend(usage.total_tokens, cost);
          state.usage = addUsage(state.usage, usage);
          return cost;
        },
        signal: AbortSignal.any([signal, ctx.signal]),
        runId,
        depth: depth + 1,
        hooks: { text: () => undefined, progress: () => undefined, clientToolCall: () => undefined, budgetExceeded: () => 'stop' },
      });
      return result.text;
    },
  });
}
