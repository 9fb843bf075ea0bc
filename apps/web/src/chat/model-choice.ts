import { useCallback, useState } from 'react';

const LAST = 'switchboard.model';
const ofConversation = (id: string) => `switchboard.model:${id}`;

function read(name: string): string | null {
  try {
    return window.localStorage.getItem(name);
  } catch {
    return null;
  }
}

/** Remembers the model a conversation uses (and the last one picked, for new conversations). */
export function rememberModel(conversationId: string | null, model: string): void {
  try {
    window.localStorage.setItem(LAST, model);
    if (conversationId) window.localStorage.setItem(ofConversation(conversationId), model);
  } catch {
    // no storage: the choice lasts as long as the page
  }
}

/** The conversation's model, kept across reloads; `fallback` until one is picked. */
export function useModelChoice(conversationId: string | null, fallback: string | undefined): [string, (model: string) => void] {
  const [picked, setPicked] = useState<{ conversationId: string | null; model: string } | null>(null);
  const stored = conversationId ? read(ofConversation(conversationId)) : null;
  const model = (picked?.conversationId === conversationId ? picked.model : null) ?? stored ?? read(LAST) ?? fallback ?? '';
  const choose = useCallback(
    (next: string) => {
      setPicked({ conversationId, model: next });
      rememberModel(conversationId, next);
    },
    [conversationId],
  );
  return [model, choose];
}
