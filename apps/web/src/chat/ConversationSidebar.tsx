import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { ConversationDto } from '@switchboard/contracts';
import { errorMessage } from '../api/errors';
import { MorePages } from '../app/MorePages';
import { useConversations, useDeleteConversation, useRenameConversation } from '../data/use-conversations';
import styles from './chat.module.css';

/** The caller's conversations, newest first, with rename and delete; more pages on request. */
export function ConversationSidebar({ activeId }: { activeId: string | null }) {
  const conversations = useConversations();
  const all = conversations.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <aside className={styles.sidebar} aria-label="Conversations">
      <Link to="/" className={styles.newChat}>
        New chat
      </Link>
      {conversations.error && <p role="alert" className={styles.error}>{errorMessage(conversations.error)}</p>}
      <ul>
        {all.map((c) => (
          <ConversationRow key={c.id} conversation={c} active={c.id === activeId} />
        ))}
      </ul>
      <MorePages query={conversations}>More conversations</MorePages>
    </aside>
  );
}

function ConversationRow({ conversation, active }: { conversation: ConversationDto; active: boolean }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(conversation.title);
  const rename = useRenameConversation();
  const remove = useDeleteConversation();
  const navigate = useNavigate();
  const label = conversation.title || 'Untitled';

  const save = (event: FormEvent) => {
    event.preventDefault();
    rename.mutate({ id: conversation.id, title }, { onSuccess: () => setEditing(false) });
  };
  const del = () => {
    if (!window.confirm(`Delete “${label}” and its messages?`)) return;
    remove.mutate(conversation.id, { onSuccess: () => active && void navigate('/') });
  };

  if (editing) {
    return (
      <li className={styles.row}>
        <form onSubmit={save} className={styles.renameForm}>
          <input aria-label="Conversation title" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus />
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
        {rename.error && <p role="alert" className={styles.error}>{errorMessage(rename.error)}</p>}
      </li>
    );
  }
  return (
    <li className={active ? `${styles.row} ${styles.activeRow}` : styles.row}>
      <Link to={`/chat/${conversation.id}`} aria-current={active ? 'page' : undefined}>
        {label}
      </Link>
      <span className={styles.rowActions}>
        <button type="button" aria-label={`Rename ${label}`} onClick={() => { setTitle(conversation.title); setEditing(true); }}>
          ✎
        </button>
        <button type="button" aria-label={`Delete ${label}`} onClick={del}>
          ✕
        </button>
      </span>
      {remove.error && <p role="alert" className={styles.error}>{errorMessage(remove.error)}</p>}
    </li>
  );
}
