// The agent tools: the toolbox an agent config names, and the runner the agent loop calls for each tool call.
export { createToolbox, type ToolboxDeps } from './toolbox.js';
export { runToolCall, type ToolCallResult } from './run-tool-call.js';
export { createCalculatorTool } from './calculator.tool.js';
export { evaluateExpression } from './calculator.parser.js';
export { createCurrentTimeTool } from './current-time.tool.js';
export { createHttpFetchTool, type HttpFetchDeps } from './http-fetch.tool.js';
export { blockedAddressReason, type HostLookup, type ResolvedAddress } from './ssrf-guard.js';
export { createWebSearchTool } from './web-search.tool.js';
export { createCallAgentTool, type CallAgentFn } from './call-agent.tool.js';
