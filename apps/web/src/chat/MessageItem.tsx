import type { Usage } from '@switchboard/contracts';
import { memo } from 'react';
import { Link } from 'react-router';
import styles from './chat.module.css';
import { Markdown } from './Markdown';

export interface MessageView {
  key: string;
  role: string;
  content: string;
  reasoning?: string;
  usage?: Pick<Usage, 'prompt_tokens' | 'completion_tokens'> | null;
  runId?: string | null;
  servedBy?: string | null;
  /** A part of the answer that is still being written. */
  streaming?: boolean;
  error?: string | null;
  /** Shown under the answer: stopped, continuing in the background. */
  note?: string | null;
}

/** One message. Memoised: in a long conversation only the answer being written re-renders per token. */
export const MessageItem = memo(function MessageItem({ message }: { message: MessageView }) {
  const { role, content, reasoning, usage, runId, streaming, error, note, servedBy } = message;
  const user = role === 'user';
  return (
    <article className={user ? styles.user : styles.assistant} aria-label={user ? 'Your message' : 'Answer'} aria-busy={streaming || undefined}>
      {reasoning && (
        <details className={styles.thinking}>
          <summary>Thinking</summary>
          <pre>{reasoning}</pre>
        </details>
      )}
      {user ? <p className={styles.plain}>{content}</p> : content && <Markdown text={content} />}
      {streaming && !content && !error && <p className={styles.waiting}>Waiting for the first token…</p>}
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      {note && <p className={styles.note}>{note}</p>}
      {!user && (usage || runId) && (
        <footer className={styles.meta}>
          {usage && (
            <span className={styles.usage} aria-label="Usage">
              {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens
              {servedBy ? ` · ${servedBy}` : ''}
            </span>
          )}
          {runId && <Link to={`/runs/${runId}`}>Run</Link>}
        </footer>
      )}
    </article>
  );
});
