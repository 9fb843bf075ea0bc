import { z } from 'zod';
import { type AgentTool, type ToolContext } from '../tool.js';
import { parseToolArgs } from './tool-args.js';

/** Runs another agent on `input` and resolves to its final answer; supplied by the agent loop. */
export type CallAgentFn = (agent: string, input: string, ctx: ToolContext) => Promise<string>;

const argsSchema = z.object({
  agent: z.string().trim().min(1, 'name the agent to call'),
  input: z.string().min(1, 'say what the agent should do'),
});

/**
 * `call_agent`: hands a sub-task to another agent. The loop's `callAgent` does the work (child run, depth
 * limit, unknown agent names as ToolError); this only validates the arguments and describes the tool.
 */
export function createCallAgentTool(callAgent: CallAgentFn): AgentTool {
  return {
    name: 'call_agent',
    definition: {
      type: 'function',
      function: {
        name: 'call_agent',
        description: 'Ask another agent to do a task and get its final answer. Give it everything it needs in input: it does not see this conversation.',
        parameters: {
          type: 'object',
          properties: {
            agent: { type: 'string', description: 'Name of the agent to call' },
            input: { type: 'string', description: 'The task or question for that agent, self-contained' },
          },
          required: ['agent', 'input'],
          additionalProperties: false,
        },
      },
    },
    async execute(args, ctx) {
      const { agent, input } = parseToolArgs('call_agent', argsSchema, args);
      return callAgent(agent, input, ctx);
    },
  };
}
