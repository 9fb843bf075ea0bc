import { type AgentTool, type ToolContext, ToolError } from '../tool.js';

/** The outcome of one tool call, ready to become the `tool` message the model reads next. */
export interface ToolCallResult {
  /** False when the call failed (bad arguments, refusal, timeout, a bug in the tool). */
  ok: boolean;
  /** The tool's answer, or "Error: ..." that tells the model what went wrong. */
  content: string;
  /** Wall time of the call in milliseconds. */
  ms: number;
}

/**
 * Runs one tool call of the model: parses its JSON arguments, runs the tool under a timeout, and turns every
 * failure into text the model can read, so a bad call never fails the run. The only exception: when
 * `parentSignal` (the run's cancellation) aborts, its reason is rethrown so the loop stops at once.
 * A tool that ignores its signal is not waited for past the timeout.
 */
export async function runToolCall(
  tool: AgentTool,
  rawArgumentsJson: string,
  ctx: Omit<ToolContext, 'signal'>,
  timeoutMs: number,
  parentSignal: AbortSignal,
): Promise<ToolCallResult> {
  const started = performance.now();
  const done = (ok: boolean, content: string): ToolCallResult => ({ ok, content, ms: Math.round(performance.now() - started) });
  parentSignal.throwIfAborted();

  const args = parseArguments(tool.name, rawArgumentsJson);
  if (typeof args === 'string') return done(false, `Error: ${args}`);

  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([parentSignal, timeout]);
  let stopWaiting: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    stopWaiting = () => reject(signal.reason as Error);
    signal.addEventListener('abort', stopWaiting, { once: true });
  });
  try {
    // Called inside the try so a tool that throws synchronously is handled like one that rejects.
    const content = await Promise.race([Promise.resolve().then(() => tool.execute(args, { ...ctx, signal })), aborted]);
    return done(true, content);
  } catch (error) {
    if (parentSignal.aborted) throw parentSignal.reason;
    if (timeout.aborted) return done(false, `Error: ${tool.name} timed out after ${timeoutMs} ms`);
    if (error instanceof ToolError) return done(false, `Error: ${error.message}`);
    // A bug in the tool: the model still gets an answer, and the message says it was not its fault.
    const message = error instanceof Error ? error.message : String(error);
    return done(false, `Error: ${tool.name} failed unexpectedly: ${message}`);
  } finally {
    signal.removeEventListener('abort', stopWaiting!);
  }
}

/** The arguments as an object, or a message for the model saying what is wrong with them. */
function parseArguments(toolName: string, raw: string): Record<string, unknown> | string {
  // Some models send "" for a call without arguments; that means {}.
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const excerpt = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
    return `the arguments of ${toolName} are not valid JSON (${(error as Error).message}): ${excerpt}. Send a JSON object.`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return `the arguments of ${toolName} must be a JSON object, got ${kind}`;
  }
  return value as Record<string, unknown>;
}
