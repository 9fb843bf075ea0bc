import type { AgentDto, AgentList } from '@switchboard/contracts';
import { formatRecord, formatTable } from './cli-output.js';
import type { PlatformCommandContext } from './command-context.js';

/** `agents list`: every agent the platform serves (config and API ones), by name. */
export async function listAgentsCommand(ctx: PlatformCommandContext): Promise<void> {
  const list = await ctx.platform.request<AgentList>('GET', '/api/agents');
  ctx.out.result(list, () =>
    list.data.length === 0
      ? 'no agents'
      : formatTable(
          ['name', 'model', 'tools', 'source', 'description'],
          list.data.map((a) => [a.name, a.model, a.tools.join(',') || '-', a.source, a.description]),
        ),
  );
}

/** `agents show <name>`: one agent (by name, or by id), with its prompt and budgets. */
export async function showAgentCommand(ctx: PlatformCommandContext, name: string): Promise<void> {
  const list = await ctx.platform.request<AgentList>('GET', '/api/agents');
  const agent = list.data.find((a) => a.name === name) ?? list.data.find((a) => a.id === name);
  if (!agent) throw new Error(`no agent named "${name}"; \`switchboard agents list\` shows them (${list.data.map((a) => a.name).join(', ') || 'none'})`);
  ctx.out.result(agent, () => formatAgent(agent));
}

function formatAgent(a: AgentDto): string {
  const b = a.budgets;
  const limits = (l: { max_iterations: number; max_seconds: number }): string => `${l.max_iterations} iterations, ${l.max_seconds} s`;
  return formatRecord([
    ['name', a.name],
    ['id', a.id],
    ['description', a.description || '-'],
    ['model', a.model],
    ['tools', a.tools.join(', ') || '-'],
    ['sync budget', limits(b.sync)],
    ['background', limits(b.background)],
    ['on budget', a.on_budget_exceeded],
    ['source', a.source],
    ['system prompt', a.system_prompt.replace(/\s+/g, ' ') || '-'],
  ]);
}
