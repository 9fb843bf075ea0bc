import { type FormEvent, type KeyboardEvent, useState } from 'react';
import type { ModelEntry } from '../api/client';
import styles from './chat.module.css';

interface ComposerProps {
  models: ModelEntry[];
  model: string;
  onModel: (model: string) => void;
  busy: boolean;
  onSend: (text: string) => void;
  onStop: () => void;
}

/** The model to ask and the message to send; Enter sends, Shift+Enter starts a new line; Stop while answering. */
export function Composer({ models, model, onModel, busy, onSend, onStop }: ComposerProps) {
  const [text, setText] = useState('');
  const send = (event?: FormEvent) => {
    event?.preventDefault();
    const trimmed = text.trim();
    if (!trimmed || busy || !model) return;
    onSend(trimmed);
    setText('');
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) send(event);
  };
  const named = models.filter((m) => m.owned_by === 'switchboard' && m.id !== 'auto');
  const plain = models.filter((m) => m.owned_by !== 'switchboard' || m.id === 'auto');
  return (
    <form className={styles.composer} onSubmit={send}>
      <label className={styles.modelPicker}>
        Model
        <select value={model} onChange={(e) => onModel(e.target.value)}>
          {!models.some((m) => m.id === model) && <option value={model}>{model || 'Pick a model'}</option>}
          {named.length > 0 && (
            <optgroup label="Agents and pipelines">
              {named.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}
                </option>
              ))}
            </optgroup>
          )}
          <optgroup label="Models">
            {plain.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </optgroup>
        </select>
      </label>
      <textarea aria-label="Message" placeholder="Ask anything…" rows={3} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
      {busy ? (
        <button type="button" className={styles.stop} onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className={styles.send} disabled={!text.trim() || !model}>
          Send
        </button>
      )}
    </form>
  );
}
