import type { ToolCall, Usage } from '@switchboard/contracts';

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
}
