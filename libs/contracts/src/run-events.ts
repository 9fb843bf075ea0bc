import type { FinishReason, Usage } from './openai.schema.js';

/**
 * What a run tells the world, in order. Workers append these to the run's Redis Stream; gateways relay them
 * as SSE `chat.completion.chunk`s; the resume endpoint replays them after a `Last-Event-ID`.
 * Keys are short on purpose: a long answer is thousands of these.
 */
export type RunEvent =
  /** The worker took the run; `provider`/`model` say who answers. */
  | { t: 'start'; provider: string; model: string; attempt: number }
  /**
   * From here on the answer comes from this model (the router moved on: a fallback, or a later target of
   * `auto`); sent only when it differs from the last `start` or `route`. `cached`: an answer from the cache.
   */
  | { t: 'route'; provider: string; model: string; cached?: boolean }
  | { t: 'text'; d: string }
  /** Progress the client may show while nothing is answered yet (tool steps); sent as `reasoning_content`. */
  | { t: 'reasoning'; d: string }
  /** A tool-call fragment: the first for an index carries id and name, later ones argument text. */
  | { t: 'tool'; i: number; id?: string; name?: string; args?: string }
  | { t: 'finish'; reason: FinishReason; usage: Usage }
  /** The run went to the background: the client's stream ends; the result comes by notification. */
  | { t: 'background'; message: string }
  /** Terminal failure, in the OpenAI error shape. */
  | { t: 'error'; status: number; message: string; type: string; code: string | null };

export type RunEventType = RunEvent['t'];

/** Events after which a stream carries nothing more. */
export const terminalEventTypes: ReadonlySet<RunEventType> = new Set(['finish', 'error', 'background']);

export type RunStatus = 'queued' | 'running' | 'background' | 'succeeded' | 'failed' | 'cancelled';
export const runStatuses: readonly RunStatus[] = ['queued', 'running', 'background', 'succeeded', 'failed', 'cancelled'];
