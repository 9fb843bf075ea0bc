import { type AgentConfig, agentConfigSchema } from '@switchboard/contracts';
import type { AgentRow } from './entities.js';
import type { AgentsRepository } from './repositories.js';

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

/** Where a directory reports rows it cannot use (a pino logger fits). */
export interface DirectoryLogger {
  warn(obj: object, msg: string): void;
}

/**
 * The agents runs use: those of the config file, overlaid by the database's (agents made or edited through the
 * admin API), read again every `refreshMs`, so an API edit reaches every gateway and worker within that time
 * without a restart. A row the agent schema rejects (written by an older version, say) is skipped with a
 * warning, and the config's definition of that name stays in force. Without a database: the config's agents.
 */
export class AgentDirectory {
  private agents: AgentConfig[];
  private signature = '';
  private timer: NodeJS.Timeout | null = null;
  private onChange: (agents: readonly AgentConfig[]) => void = () => undefined;

  constructor(
    private readonly repository: AgentsRepository | null,
    private readonly configured: readonly AgentConfig[],
    private readonly logger: DirectoryLogger,
    private readonly refreshMs = 2000,
  ) {
    this.agents = [...configured];
  }

  get current(): readonly AgentConfig[] {
    return this.agents;
  }

  /** Reads the database once now, then every refreshMs; `onChange` runs whenever the set of agents changed. */
  async start(onChange: (agents: readonly AgentConfig[]) => void): Promise<void> {
    if (!this.repository) return;
    this.onChange = onChange;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  /**
   * Reads the database now. Also between the timer's reads: a worker asked for an agent it does not know looks
   * again before it fails the run, since the API may have made it a moment ago (and a gateway listed it).
   */
  async refresh(): Promise<void> {
    if (!this.repository) return;
    try {
      if (this.load(await this.repository.list())) this.onChange(this.agents);
    } catch (error) {
      // The database may be away for a while: keep serving the agents read last.
      this.logger.warn({ err: error }, 'could not read agents from the database; keeping the last known ones');
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Merges rows over the config's agents; returns whether anything changed. */
  private load(rows: readonly AgentRow[]): boolean {
    const byName = new Map(this.configured.map((a) => [a.name, a]));
    for (const row of rows) {
      const parsed = agentFromRow(row);
      if (parsed.ok) byName.set(row.name, parsed.agent);
      else this.logger.warn({ agent: row.name, problem: parsed.problem }, 'skipping an agent the schema rejects');
    }
    const agents = [...byName.values()];
    const signature = JSON.stringify(agents);
    if (signature === this.signature) return false;
    this.signature = signature;
    this.agents = agents;
    return true;
  }
}
