import { agentToolNames, type ToolsConfig } from '@switchboard/contracts';
import { type AgentTool } from '../tool.js';
import { createCalculatorTool } from './calculator.tool.js';
import { type CallAgentFn, createCallAgentTool } from './call-agent.tool.js';
import { createCurrentTimeTool } from './current-time.tool.js';
import { createHttpFetchTool, type HttpFetchDeps } from './http-fetch.tool.js';
import { createWebSearchTool } from './web-search.tool.js';

export interface ToolboxDeps {
  config: ToolsConfig;
  /** Clock of current_time (tests fix it). */
  now?: () => Date;
  /** Runs another agent; required when `call_agent` is among the names. */
  callAgent?: CallAgentFn;
  /** DNS of http_fetch's SSRF guard (tests). */
  lookup?: HttpFetchDeps['lookup'];
}

/**
 * The tools of one agent, in the order its config names them (each once). An unknown name or a `call_agent`
 * without `deps.callAgent` is a wiring bug, so it throws here, at construction, rather than mid-run.
 */
export function createToolbox(names: readonly string[], deps: ToolboxDeps): AgentTool[] {
  return [...new Set(names)].map((name) => {
    switch (name) {
      case 'calculator':
        return createCalculatorTool();
      case 'current_time':
        return createCurrentTimeTool({ now: deps.now });
      case 'http_fetch':
        return createHttpFetchTool(deps.config.http_fetch, { lookup: deps.lookup });
      case 'web_search':
        return createWebSearchTool(deps.config.web_search);
      case 'call_agent':
        if (!deps.callAgent) throw new Error('createToolbox: the call_agent tool needs deps.callAgent (the agent loop supplies it)');
        return createCallAgentTool(deps.callAgent);
      default:
        throw new Error(`createToolbox: unknown tool "${name}"; known tools: ${agentToolNames.join(', ')}`);
    }
  });
}
