export type { AgentTool, ToolContext } from './tool.js';
export { ToolError } from './tool.js';
export { type AgentBudgets, type BudgetOverrun, type BudgetPhase, describeOverrun, RunBudget } from './run-budget.js';
export { type AgentLoopHooks, type AgentLoopInput, type AgentLoopResult, runAgentLoop } from './agent-loop.js';
export * from './tools/index.js';
export { runPipeline, type PipelineDeps, type PipelineResult, type PipelineStageEvent } from './pipelines/pipeline-runner.js';
export { PipelineError } from './pipelines/pipeline-error.js';
export { normalizeAnswer, vote, type VoteResult } from './pipelines/vote.js';
