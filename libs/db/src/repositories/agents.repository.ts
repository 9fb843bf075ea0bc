import type { AgentRow } from '../entities.js';
import { ConflictError } from '../errors.js';
import { newId } from '../ids.js';
import type { PrismaDb } from '../prisma-client.js';
import type { AgentsRepository, NewAgent } from '../repositories.js';
import { defined, jsonOrNull, toAgentRow } from './mappers.js';
import { guard, isRecordNotFound, isWriteConflict, mapPrismaError } from './prisma-errors.js';

export class PrismaAgentsRepository implements AgentsRepository {
  constructor(private readonly db: PrismaDb) {}

  create(agent: NewAgent): Promise<AgentRow> {
    return guard(async () => toAgentRow(await this.db.agent.create({ data: agentData(agent, new Date()) })), `Agent "${agent.name}"`);
  }

  async get(id: string): Promise<AgentRow | null> {
    const row = await this.db.agent.findUnique({ where: { id } });
    return row && toAgentRow(row);
  }

  async getByName(name: string): Promise<AgentRow | null> {
    const row = await this.db.agent.findUnique({ where: { name } });
    return row && toAgentRow(row);
  }

  async list(): Promise<AgentRow[]> {
    const rows = await this.db.agent.findMany({ orderBy: [{ name: 'asc' }, { id: 'asc' }] });
    return rows.map(toAgentRow);
  }

  async update(id: string, patch: Partial<Omit<AgentRow, 'id' | 'createdAt' | 'updatedAt'>>): Promise<AgentRow | null> {
    const { budgets, tools, ...rest } = patch;
    try {
      const row = await this.db.agent.update({
        where: { id },
        data: defined({ ...rest, tools, budgets: jsonOrNull(budgets), updatedAt: new Date() }),
      });
      return toAgentRow(row);
    } catch (error) {
      if (isRecordNotFound(error)) return null;
      throw mapPrismaError(error, patch.name ? `Agent "${patch.name}"` : 'Agent');
    }
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.db.agent.deleteMany({ where: { id } });
    return count > 0;
  }

  /**
   * Every process seeds at start, possibly at the same moment: a process that loses the race to insert a name
   * gets a unique violation (or, on MySQL, a deadlock), and simply runs the (now updating) seed once more.
   */
  async seedFromConfig(agents: NewAgent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await guard(() => this.seedOnce(agents), 'Agent');
        return;
      } catch (error) {
        if (!(error instanceof ConflictError || isWriteConflict(error)) || attempt >= 4) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
      }
    }
  }

  private async seedOnce(agents: NewAgent[]): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const names = agents.map((a) => a.name);
      const existing = new Map((await tx.agent.findMany({ where: { name: { in: names } } })).map((r) => [r.name, r]));
      const now = new Date();
      for (const agent of agents) {
        const row = existing.get(agent.name);
        const data = agentData({ ...agent, source: 'config' }, now);
        if (!row) {
          await tx.agent.create({ data });
          continue;
        }
        // Agents made through the API keep priority over a config entry of the same name.
        if (row.source === 'api') continue;
        if (stableJson(comparable(toAgentRow(row))) === stableJson(comparable(wantedRow(agent)))) continue;
        const { id: _id, createdAt: _createdAt, ...changes } = data;
        await tx.agent.update({ where: { id: row.id }, data: changes });
      }
    });
  }
}

function agentData(agent: NewAgent, now: Date) {
  return {
    id: agent.id ?? newId(),
    name: agent.name,
    description: agent.description ?? '',
    model: agent.model,
    systemPrompt: agent.systemPrompt ?? '',
    tools: agent.tools ?? [],
    budgets: jsonOrNull(agent.budgets ?? null),
    onBudgetExceeded: agent.onBudgetExceeded ?? 'background',
    source: agent.source ?? 'api',
    createdAt: now,
    updatedAt: now,
  };
}

/** What a seeded agent should look like, in the shape read back from the database. */
function wantedRow(agent: NewAgent): Omit<AgentRow, 'id' | 'createdAt' | 'updatedAt'> {
  return {
    name: agent.name,
    description: agent.description ?? '',
    model: agent.model,
    systemPrompt: agent.systemPrompt ?? '',
    tools: agent.tools ?? [],
    budgets: agent.budgets ?? null,
    onBudgetExceeded: agent.onBudgetExceeded ?? 'background',
    source: 'config',
  };
}

function comparable(row: Omit<AgentRow, 'id' | 'createdAt' | 'updatedAt'> & Partial<AgentRow>) {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = row;
  return rest;
}

/** JSON with sorted object keys: PostgreSQL's jsonb does not keep key order, so plain JSON.stringify would differ. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
