import { useLayoutEffect, useRef } from 'react';
import styles from './chat.module.css';
import { MessageItem, type MessageView } from './MessageItem';

/**
 * The conversation, scrolled to the end while its reader is at the end (a reader who scrolled up to read is
 * left where they are). Messages off screen skip layout and paint (`content-visibility`), so 500 of them
 * scroll as smoothly as 5.
 */
export function MessageList({ messages, empty }: { messages: MessageView[]; empty: string }) {
  const scroller = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  });

  return (
    <div
      ref={scroller}
      className={styles.messages}
      role="log"
      aria-label="Messages"
      onScroll={(e) => {
        const el = e.currentTarget;
        atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
      }}
    >
      {messages.length === 0 ? <p className={styles.empty}>{empty}</p> : messages.map((m) => <MessageItem key={m.key} message={m} />)}
    </div>
  );
}
