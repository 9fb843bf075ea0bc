import { PlatformApiError } from './platform-client.js';
import { readSse } from '@switchboard/contracts';

/** Where a followed answer stands: what was shown, and the last event id (what `Last-Event-ID` resumes after). */
export interface AnswerProgress {
  runId: string;
  text: string;
  lastEventId: string | null;
  finishReason: string | null;
  /** The gateway said the run went on in the background (its sync budget ran out). */
  background: boolean;
}

interface Chunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  background?: boolean;
  error?: { message?: string; type?: string; code?: unknown };
}

/**
 * Follows one SSE answer of the gateway (a chat completion, or a run's events after Last-Event-ID) to its
 * `[DONE]`: each text delta goes to `write` as it arrives and `progress` is updated after it, so whoever
 * stops the stream (Ctrl-C) knows exactly what was shown. An error chunk mid-stream throws PlatformApiError.
 */
export async function followAnswer(response: Response, progress: AnswerProgress, write: (text: string) => void): Promise<AnswerProgress> {
  if (!response.body) throw new Error(`the gateway answered run ${progress.runId} without a body`);
  for await (const event of readSse(response.body)) {
    if (event.data === '[DONE]') return progress;
    const chunk = JSON.parse(event.data) as Chunk;
    if (chunk.error) {
      const message = chunk.error.message ?? 'the run failed';
      throw new PlatformApiError(500, chunk.error.type ?? 'error', `run ${progress.runId}: ${message}`);
    }
    const choice = chunk.choices?.[0];
    const delta = choice?.delta?.content;
    if (delta) {
      write(delta);
      progress.text += delta;
    }
    if (chunk.background) progress.background = true;
    if (choice?.finish_reason) progress.finishReason = choice.finish_reason;
    if (event.id !== null) progress.lastEventId = event.id;
  }
  // The gateway always ends with [DONE]: a body that ends before it is a connection lost on the way.
  throw new Error(`the stream of run ${progress.runId} ended early; resume it with: switchboard runs tail ${progress.runId}`);
}

/** A new progress record for a run, resuming after `lastEventId` (null: from its start). */
export function answerProgress(runId: string, lastEventId: string | null = null): AnswerProgress {
  return { runId, text: '', lastEventId, finishReason: null, background: false };
}
