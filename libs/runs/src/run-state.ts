import type { RunEvent, ToolCall, Usage } from '@switchboard/contracts';
import { emptyUsage } from '@switchboard/providers';
import type { RouteAttempt, RouteObserver } from './routing/routed-model.js';

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
  /** Every provider attempt of this run attempt, skipped ones included, in order. */
  attempts: RouteAttempt[];
  /** The answer came from the response cache. */
  cached: boolean;
}

/**
 * How a run follows its router: the serving model becomes the run's provider/model (and a `route` event when
 * it changes, so the answer's `model` names who answered), and every attempt is listed on the run.
 */
export function observeRoute(state: RunState, emit: (event: RunEvent) => void): RouteObserver {
  return {
    serving: (c) => {
      if (c.provider === state.provider && c.model === state.model) return;
      state.provider = c.provider;
      state.model = c.model;
      emit({ t: 'route', provider: c.provider, model: c.model });
    },
    attempt: (a) => {
      state.attempts.push(a);
    },
  };
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
    attempts: [],
    cached: false,
  };
}
