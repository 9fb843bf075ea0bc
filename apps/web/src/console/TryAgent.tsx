import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../api/errors';
import { useSession } from '../auth/session';
import { chatStreamFor, useChatStream } from '../chat/use-chat-stream';
import styles from './console.module.css';

/**
 * A quick chat with the agent being edited, through the chat's own stream (resume, stop and all): each try is a
 * conversation of its own ("Try <agent>"), so it also lands in the chat's history where it can be read on.
 */
export function TryAgent({ agent }: { agent: string }) {
  const { client } = useSession();
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [prompt, setPrompt] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const { stream, state } = useChatStream(client, conversationId);
  const live = state?.status === 'connecting' || state?.status === 'streaming';
  // Gateways read the agents again every few seconds: a new or renamed agent can be tried once they list it.
  const listed = useQuery({
    queryKey: ['models', 'listing', agent],
    queryFn: async ({ signal }) => (await client.models(signal)).some((m) => m.id === agent),
    refetchInterval: (query) => (query.state.data ? false : 1000),
  });
  const ready = listed.data === true;

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!prompt.trim()) return;
    setFailure(null);
    try {
      const id = conversationId ?? (await client.createConversation(`Try ${agent}`)).id;
      setConversationId(id);
      const history = state?.status === 'done' ? [{ role: 'user' as const, content: state.prompt }, { role: 'assistant' as const, content: state.text }] : [];
      setPrompt('');
      await chatStreamFor(client, id).start(agent, history, prompt);
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  return (
    <aside className={styles.try} aria-label={`Try ${agent}`}>
      <h2>Try {agent}</h2>
      <form onSubmit={(e) => void send(e)} className={styles.actions}>
        <input aria-label="Message to the agent" value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder="Say something…" />
        {live ? (
          <button type="button" onClick={() => void stream?.stop()}>Stop</button>
        ) : (
          <button type="submit" disabled={!ready}>Send</button>
        )}
      </form>
      {!ready && <p className={styles.muted} role="status">Waiting for the gateway to list {agent}…</p>}
      {state && (
        <>
          <p className={styles.muted}>You: {state.prompt}</p>
          <output aria-label="Agent answer">{state.text}</output>
          <p className={styles.muted}>
            {state.status}
            {state.servedBy ? ` · answered by ${state.servedBy}` : ''}
          </p>
          {state.error && <p role="alert" className={styles.error}>{state.error.message}</p>}
        </>
      )}
      {failure && <p role="alert" className={styles.error}>{failure}</p>}
    </aside>
  );
}
