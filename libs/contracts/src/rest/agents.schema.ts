import { z } from 'zod';
import { agentConfigSchema, agentToolNames, budgetLimitsSchema } from '../config.schema.js';
import { timestampSchema } from './pagination.schema.js';

/**
 * Agents over REST. An agent is created with exactly the shape it has in config/switchboard.yaml, so a
 * definition can move between the file and the admin API unchanged.
 */

export const agentSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  /** `auto`, `<provider>/<model>`, or another route name. */
  model: z.string(),
  system_prompt: z.string(),
  tools: z.array(z.string()),
  budgets: agentConfigSchema.shape.budgets,
  on_budget_exceeded: z.enum(['background', 'stop']),
  /** `config` agents are re-seeded from the config file at every start (edits to them last until then). */
  source: z.enum(['config', 'api']),
  created_at: timestampSchema,
  updated_at: timestampSchema,
}).meta({ id: 'Agent' });
export type AgentDto = z.output<typeof agentSchema>;

export const createAgentRequestSchema = agentConfigSchema;
export type CreateAgentRequest = z.output<typeof createAgentRequestSchema>;

/** Only the keys sent change; there are no defaults here, so an omitted key never resets a value. */
export const updateAgentRequestSchema = z
  .strictObject({
    name: agentConfigSchema.shape.name,
    description: z.string(),
    model: z.string().min(1),
    system_prompt: z.string(),
    tools: z.array(z.enum(agentToolNames)),
    budgets: z.strictObject({
      sync: budgetLimitsSchema,
      background: budgetLimitsSchema,
      max_tokens: z.number().int().positive().optional(),
      max_cost: z.number().nonnegative().optional(),
    }),
    on_budget_exceeded: z.enum(['background', 'stop']),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' });
export type UpdateAgentRequest = z.output<typeof updateAgentRequestSchema>;

/** Agents are few: the list is one page, ordered by name. */
export const agentListSchema = z.object({ data: z.array(agentSchema) }).meta({ id: 'AgentList' });
export type AgentList = z.output<typeof agentListSchema>;
