import type { MessageDto } from '@switchboard/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { useNavigate, useParams } from 'react-router';
import { errorMessage } from '../api/errors';
import { useSession } from '../auth/session';
import { useCreateConversation } from '../data/use-conversations';
import { useMessages } from '../data/use-messages';
import { useModels } from '../data/use-models';
import { useBackgroundRuns, useFollowBackground } from '../notifications/notifications';
import type { AnswerState } from './answer-store';
import styles from './chat.module.css';
import { Composer } from './Composer';
import { ConversationSidebar } from './ConversationSidebar';
import type { MessageView } from './MessageItem';
import { MessageList } from './MessageList';
import { rememberModel, useModelChoice } from './model-choice';
import { chatStreamFor, useChatStream } from './use-chat-stream';

/** The chat: conversations on the side, the open one's messages, and the answer being written. */
export function ChatPage() {
  const { conversationId = null } = useParams();
  const { client } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const models = useModels();
  const { stream, state } = useChatStream(client, conversationId);
  const awaiting = state?.status === 'done' ? state.runId : null;
  const messages = useMessages(conversationId, awaiting);
  const create = useCreateConversation();
  const background = useBackgroundRuns();
  const followBackground = useFollowBackground();
  const [model, setModel] = useModelChoice(conversationId, models.data?.find((m) => m.id === 'auto')?.id ?? models.data?.[0]?.id);

  const stored = useMemo(() => messages.data ?? [], [messages.data]);
  const answerStored = state?.runId != null && stored.some((m) => m.run_id === state.runId);
  // The stored conversation has the answer now: the local copy has done its job.
  useEffect(() => {
    if (answerStored && state && (state.status === 'done' || state.status === 'failed')) stream?.dismiss();
  }, [answerStored, state, stream]);

  // The stream said the run goes on in the background: its result must reach this page even if the socket.io
  // notification went out before this page's socket was connected.
  const backgroundRunId = state?.background ? state.runId : null;
  useEffect(() => {
    if (backgroundRunId && conversationId) followBackground(backgroundRunId, conversationId);
  }, [backgroundRunId, conversationId, followBackground]);

  // Stored messages keep their view objects while an answer streams, so only the answer re-renders per token.
  const storedViews = useMemo(() => toStoredViews(stored), [stored]);
  const views = useMemo(
    () => (answerStored || !state ? storedViews : [...storedViews, ...answerViews(stored, state, background)]),
    [storedViews, stored, state, answerStored, background],
  );
  const live = state?.status === 'connecting' || state?.status === 'streaming';

  const send = async (text: string) => {
    let id = conversationId;
    try {
      if (!id) {
        id = (await create.mutateAsync(text.slice(0, 80))).id;
        rememberModel(id, model);
      }
    } catch {
      return; // shown from create.error
    }
    const target = chatStreamFor(client, id);
    const started = target.start(model, history(stored, answerStored ? null : state), text);
    if (id !== conversationId) void navigate(`/chat/${id}`);
    await started;
    await queryClient.invalidateQueries({ queryKey: ['messages', id] });
    await queryClient.invalidateQueries({ queryKey: ['conversations'] });
  };

  return (
    <div className={styles.page}>
      <ConversationSidebar activeId={conversationId} />
      <section className={styles.conversation} aria-label="Conversation">
        {messages.error && <p role="alert" className={styles.error}>{errorMessage(messages.error)}</p>}
        {models.error && <p role="alert" className={styles.error}>Could not list the models: {errorMessage(models.error)}</p>}
        {create.error && <p role="alert" className={styles.error}>{errorMessage(create.error)}</p>}
        <MessageList messages={views} empty={conversationId && messages.isPending ? 'Loading…' : 'Send a message to start.'} />
        <Composer models={models.data ?? []} model={model} onModel={setModel} busy={live} onSend={(t) => void send(t)} onStop={() => void stream?.stop()} />
      </section>
    </div>
  );
}

/** What the model is sent: the stored turns, and the last answer while it is not stored yet. */
function history(stored: MessageDto[], state: AnswerState | null) {
  const turns = stored.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({ role: m.role, content: m.content }));
  if (state?.status === 'done') {
    if (!endsWithPrompt(stored, state)) turns.push({ role: 'user', content: state.prompt });
    turns.push({ role: 'assistant', content: state.text });
  }
  return turns;
}

function endsWithPrompt(stored: MessageDto[], state: AnswerState): boolean {
  const last = stored.at(-1);
  return last?.role === 'user' && last.content === state.prompt;
}

function toStoredViews(stored: MessageDto[]): MessageView[] {
  return stored
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({
      key: m.id,
      role: m.role,
      content: m.content,
      runId: m.run_id,
      usage: m.prompt_tokens !== null && m.completion_tokens !== null ? { prompt_tokens: m.prompt_tokens, completion_tokens: m.completion_tokens } : null,
    }));
}

/** The prompt (until it is stored) and the answer being written, or the last one while it is not stored yet. */
function answerViews(stored: MessageDto[], state: AnswerState, background: ReadonlySet<string>): MessageView[] {
  const views: MessageView[] = [];
  if (!endsWithPrompt(stored, state)) views.push({ key: `prompt:${state.startedAt}`, role: 'user', content: state.prompt });
  const inBackground = state.runId !== null && (background.has(state.runId) || (state.background === true && state.status === 'done'));
  views.push({
    key: `answer:${state.startedAt}`,
    role: 'assistant',
    content: state.text,
    reasoning: state.reasoning,
    usage: state.usage,
    servedBy: state.servedBy,
    runId: state.runId,
    streaming: state.status === 'connecting' || state.status === 'streaming',
    error: state.error?.message ?? null,
    note: inBackground ? 'Continuing in the background: the result will appear here and as a notification.' : state.status === 'stopped' ? 'Stopped.' : null,
  });
  return views;
}
