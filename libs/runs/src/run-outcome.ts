import type { ChatRunJob, ToolCall, Usage } from '@switchboard/contracts';
import type { RunState } from './run-state.js';
import type { RouteAttempt } from './routing/routed-model.js';

/** How a run ended: what the recorder writes to the database. */
export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  provider: string;
  model: string;
  agentName: string | null;
  attempt: number;
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: Usage;
  /** In the providers' `pricing` currency; added to the key's spend. */
  cost: number;
  /** `background` once the run went on without its client. */
  mode: 'sync' | 'background';
  /** Structured results kept on the run (pipeline stages, agent steps), or null. */
  output: unknown;
  error: string | null;
  startedAt: Date;
  latencyMs: number;
  ttftMs: number | null;
  /** Every provider attempt (recorded as ProviderCall rows); empty for runs that made none of their own. */
  attempts: RouteAttempt[];
  cached: boolean;
}

/** The outcome of a run from what it produced so far (its RunState), as of now. */
export function runOutcome(state: RunState, attempt: number, status: RunOutcome['status'], error: string | null): RunOutcome {
  return {
    status,
    provider: state.provider,
    model: state.model,
    agentName: state.agentName,
    attempt,
    text: state.text,
    toolCalls: state.toolCalls,
    finishReason: state.finishReason,
    usage: state.usage,
    cost: state.cost,
    mode: state.background ? 'background' : 'sync',
    output: state.output,
    error,
    startedAt: state.startedAt,
    latencyMs: Date.now() - state.startedAt.getTime(),
    ttftMs: state.ttftMs,
    attempts: state.attempts,
    cached: state.cached,
  };
}

/** A finished run as it travels on the records stream (a gateway writes it, a worker records it). */
export function encodeRunRecord(job: ChatRunJob, outcome: RunOutcome): string {
  return JSON.stringify({ job, outcome });
}

export function decodeRunRecord(raw: string): { job: ChatRunJob; outcome: RunOutcome } {
  const { job, outcome } = JSON.parse(raw) as { job: ChatRunJob; outcome: RunOutcome & { startedAt: string } };
  return { job, outcome: { ...outcome, startedAt: new Date(outcome.startedAt) } };
}
