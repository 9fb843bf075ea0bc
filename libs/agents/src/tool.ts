import type { ToolDefinition } from '@switchboard/contracts';

/** What a tool gets besides its arguments. */
export interface ToolContext {
  /** Aborted when the tool's timeout passes or the run is cancelled; tools must stop at once. */
  signal: AbortSignal;
  /** The run the tool works for (logs, call_agent's child runs). */
  runId: string;
  /** How deep in call_agent chains this run is (0 for a run a client started). */
  depth: number;
}

/**
 * A tool the agent loop runs in the worker. The model sees `definition`; `execute` gets the parsed JSON
 * arguments and returns text for the model. A tool reports bad input or a refusal by throwing `ToolError`
 * with a message the model can act on; the loop turns it into the tool message, never into a failed run.
 */
export interface AgentTool {
  readonly name: string;
  readonly definition: ToolDefinition;
  execute(args: Record<string, unknown>, ctx: ToolContext): Promise<string>;
}

/** A failure the model should read (bad arguments, refused URL, upstream 404), as opposed to a bug. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}
