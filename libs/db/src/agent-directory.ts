import { type AgentConfig, agentConfigSchema } from '@switchboard/contracts';
import type { AgentRow } from './entities.js';
import type { AgentsRepository } from './repositories.js';
import { type DirectoryLogger, LiveDirectory } from './live-directory.js';

/** A row as the agent config it stands for, or the schema's complaint (a row written by an older version). */
export function agentFromRow(row: AgentRow): { ok: true; agent: AgentConfig } | { ok: false; problem: string } {
  const parsed = agentConfigSchema.safeParse({
    name: row.name,
    description: row.description,
    model: row.model,
    system_prompt: row.systemPrompt,
    tools: row.tools,
    ...(row.budgets ? { budgets: row.budgets } : {}),
    on_budget_exceeded: row.onBudgetExceeded,
  });
  return parsed.success ? { ok: true, agent: parsed.data } : { ok: false, problem: parsed.error.message };
}

/**
 * The agents runs use: those of the config file, overlaid by the database's (agents made or edited through the
 * admin API). A row the agent schema rejects (written by an older version, say) is skipped with a warning, and
 * the config's definition of that name stays in force.
 */
export class AgentDirectory extends LiveDirectory<AgentRow, AgentConfig> {
  constructor(repository: AgentsRepository | null, configured: readonly AgentConfig[], logger: DirectoryLogger, refreshMs = 2000) {
    super(repository, configured, logger, 'agents', refreshMs);
  }

  protected merge(rows: readonly AgentRow[]): AgentConfig[] {
    const byName = new Map(this.configured.map((a) => [a.name, a]));
    for (const row of rows) {
      const parsed = agentFromRow(row);
      if (parsed.ok) byName.set(row.name, parsed.agent);
      else this.logger.warn({ agent: row.name, problem: parsed.problem }, 'skipping an agent the schema rejects');
    }
    return [...byName.values()];
  }
}
