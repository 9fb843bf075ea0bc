import type { Usage } from '@switchboard/contracts';

export type AnswerStatus = 'connecting' | 'streaming' | 'done' | 'stopped' | 'failed';

/**
 * The answer being written in one conversation, as the page shows it and as it is kept in the browser so that
 * a reload (or a tab closed and opened again) picks the run up where it was: `text` and `lastEventId` are
 * always saved together, so resuming after `lastEventId` adds exactly what `text` lacks.
 */
export interface AnswerState {
  conversationId: string;
  /** From the response's X-Run-Id; null until the gateway answered. */
  runId: string | null;
  /** The model, agent or pipeline asked. */
  model: string;
  /** The user's message this answers: the conversation's stored messages have it only once the run is recorded. */
  prompt: string;
  text: string;
  /** Tool steps and stages (`reasoning_content`), shown as a collapsible "thinking" block. */
  reasoning: string;
  /** The `id:` of the last event applied. */
  lastEventId: string | null;
  usage: Usage | null;
  /** Who answered, from the chunks' `model`. */
  servedBy: string | null;
  finishReason: string | null;
  error: { message: string; type: string; code: string | null } | null;
  status: AnswerStatus;
  startedAt: number;
  /** The run went on in the background (the gateway said so in the stream); its result arrives as a notification. */
  background?: boolean;
}

/** Where answers in progress are kept between page loads. */
export interface AnswerStore {
  load(conversationId: string): AnswerState | null;
  save(state: AnswerState): void;
  remove(conversationId: string): void;
}

const PREFIX = 'switchboard.answer:';

/** localStorage (survives closing the tab), one entry per conversation. */
export function browserAnswerStore(storage: Storage = window.localStorage): AnswerStore {
  return {
    load(conversationId) {
      const raw = storage.getItem(PREFIX + conversationId);
      if (!raw) return null;
      try {
        const state = JSON.parse(raw) as AnswerState;
        return state.conversationId === conversationId ? state : null;
      } catch {
        return null;
      }
    },
    save(state) {
      try {
        storage.setItem(PREFIX + state.conversationId, JSON.stringify(state));
      } catch {
        // Storage full or disabled: the answer still streams, it just cannot survive a reload.
      }
    },
    remove(conversationId) {
      storage.removeItem(PREFIX + conversationId);
    },
  };
}

/** A store in memory (tests, and browsers without storage). */
export function memoryAnswerStore(): AnswerStore & { entries: Map<string, AnswerState> } {
  const entries = new Map<string, AnswerState>();
  return {
    entries,
    load: (id) => {
      const state = entries.get(id);
      return state ? { ...state } : null;
    },
    save: (state) => void entries.set(state.conversationId, { ...state }),
    remove: (id) => void entries.delete(id),
  };
}
