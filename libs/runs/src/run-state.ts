import type { ToolCall, Usage } from '@switchboard/contracts';
import { emptyUsage } from '@switchboard/providers';

/** What a run has produced so far; the executors (model, agent, pipeline) fill it, the processor records it. */
export interface RunState {
  startedAt: Date;
  provider: string;
  model: string;
  agentName: string | null;
  /** The answer so far, including what earlier attempts streamed. */
  text: string;
  /** Calls to the client's tools the answer ends with. */
  toolCalls: ToolCall[];
  usage: Usage;
  /** In the providers' `pricing` currency. */
  cost: number;
  finishReason: string | null;
  ttftMs: number | null;
  /** Something reached the client: a retry must continue, never start over. */
  streamed: boolean;
  /** The run went on without its client. */
  background: boolean;
  /** Structured results kept on the run (pipeline stages, agent steps). */
  output: unknown;
}

/** Something reached the client: the first time, that is the run's time to first token. */
export function markOutput(state: RunState): void {
  state.ttftMs ??= Date.now() - state.startedAt.getTime();
  state.streamed = true;
}

export function newRunState(model: string, startedAt = new Date()): RunState {
  return {
    startedAt,
    provider: 'none',
    model,
    agentName: null,
    text: '',
    toolCalls: [],
    usage: emptyUsage(),
    cost: 0,
    finishReason: null,
    ttftMs: null,
    streamed: false,
    background: false,
    output: null,
  };
}
