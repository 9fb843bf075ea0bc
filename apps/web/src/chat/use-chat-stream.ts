import { useEffect, useSyncExternalStore } from 'react';
import type { ApiClient } from '../api/client';
import { type AnswerStore, browserAnswerStore } from './answer-store';
import { ChatStream } from './chat-stream';

/**
 * One ChatStream per conversation for the signed-in client, kept while the page lives: an answer goes on
 * streaming while its person looks at another conversation, and a new conversation's first answer, started
 * before the page moves to it, is the one the page then shows.
 */
const registry = new WeakMap<ApiClient, Map<string, ChatStream>>();
let store: AnswerStore | null = null;

export function chatStreamFor(client: ApiClient, conversationId: string): ChatStream {
  let streams = registry.get(client);
  if (!streams) {
    streams = new Map();
    registry.set(client, streams);
  }
  let stream = streams.get(conversationId);
  if (!stream) {
    store ??= browserAnswerStore();
    stream = new ChatStream(client, store, conversationId);
    streams.set(conversationId, stream);
    everyStream.add(stream);
  }
  return stream;
}

const everyStream = new Set<ChatStream>();
if (typeof window !== 'undefined') {
  // The last events of a streaming answer may not be saved yet: save every stream as the page goes away.
  window.addEventListener('pagehide', () => {
    for (const stream of everyStream) stream.flush();
  });
}

/**
 * The answer being written in a conversation, resumed when the page finds one in progress (after a reload,
 * or a tab closed and opened again). Returns the stream, for start/stop/dismiss, and its current state.
 */
export function useChatStream(client: ApiClient, conversationId: string | null) {
  const stream = conversationId ? chatStreamFor(client, conversationId) : null;
  const state = useSyncExternalStore(stream?.subscribe ?? noSubscribe, () => stream?.state ?? null);
  useEffect(() => {
    void stream?.resume();
  }, [client, stream]);
  return { stream, state };
}

const noSubscribe = (): (() => void) => () => undefined;
