import { type AgentConfig, type AgentDto, type UpdateAgentRequest } from '@switchboard/contracts';
import { type AgentRow, type NewAgent } from '@switchboard/db';

export function toAgentDto(row: AgentRow): AgentDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    model: row.model,
    system_prompt: row.systemPrompt,
    tools: row.tools,
    budgets: row.budgets as AgentDto['budgets'],
    on_budget_exceeded: row.onBudgetExceeded,
    source: row.source,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** A definition from config/switchboard.yaml or a create request (they share the shape). */
export function toNewAgent(agent: AgentConfig, source: NewAgent['source']): NewAgent {
  return {
    name: agent.name,
    description: agent.description,
    model: agent.model,
    systemPrompt: agent.system_prompt,
    tools: agent.tools,
    budgets: agent.budgets,
    onBudgetExceeded: agent.on_budget_exceeded,
    source,
  };
}

export function toAgentPatch(patch: UpdateAgentRequest): Partial<NewAgent> {
  return {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.description !== undefined && { description: patch.description }),
    ...(patch.model !== undefined && { model: patch.model }),
    ...(patch.system_prompt !== undefined && { systemPrompt: patch.system_prompt }),
    ...(patch.tools !== undefined && { tools: patch.tools }),
    ...(patch.budgets !== undefined && { budgets: patch.budgets }),
    ...(patch.on_budget_exceeded !== undefined && { onBudgetExceeded: patch.on_budget_exceeded }),
  };
}
