import type { ChatMessage, ChatRunJob, ToolCall, Usage } from '@switchboard/contracts';
import { type CompletedRunRecord, type Database, type NewMessage, newId } from '@switchboard/db';

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  provider: string;
  model: string;
  agentName: string | null;
  attempt: number;
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: Usage;
  error: string | null;
  startedAt: Date;
  latencyMs: number;
  ttftMs: number | null;
}

const contentText = (content: ChatMessage['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join('');

interface Pending {
  record: CompletedRunRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Most runs one transaction writes. It bounds how long one batch holds the database, and on embedded PGlite,
 * which runs on this process's event loop, how long it stalls every stream: ~30 ms at 64 runs, while batches
 * of 50 already reach ~1,200-1,600 runs/s there (libs/db measurements; 300 reach ~2,000 but stall ~150 ms).
 */
const MAX_BATCH = 64;

/**
 * Writes what runs produced: the conversation (ours by id, the client's by external id, else a new one), the
 * messages the client added since the last answer, the assistant's answer, the run and its provider call.
 * Runs that end while a write is in flight are written together in the next transaction, so the cost per run
 * falls as load rises; nothing waits when idle. Always after the client has its answer, so the database never
 * adds to time to first token.
 */
export class RunRecorder {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly db: Database) {}

  record(job: ChatRunJob, outcome: RunOutcome): Promise<void> {
    const record = buildRecord(job, outcome);
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Resolves when everything queued so far is written (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.db.recordRuns(batch.map((p) => p.record));
          for (const p of batch) p.resolve();
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          // One bad record must not sink the others: write them one by one to find it.
          for (const p of batch) await this.db.recordRuns([p.record]).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.flushing = null;
    }
  }
}

function buildRecord(job: ChatRunJob, outcome: RunOutcome): CompletedRunRecord {
  const ownerKeyId = job.apiKeyId;
  const messages = job.request.messages;
  const firstUser = messages.find((m) => m.role === 'user');
  // The database joins an existing conversation with this id (same owner) or this external id, else creates it.
  const conversation = {
    id: job.conversationId ?? newId(),
    ownerKeyId,
    externalId: job.externalConversationId,
    agentId: null,
    title: firstUser ? contentText(firstUser.content).slice(0, 80) : 'New conversation',
  };
  const conversationId = conversation.id;
  // Clients resend the whole history each turn: keep only what came after the last assistant message.
  let from = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'assistant') {
      from = i + 1;
      break;
    }
  }
  const rows: NewMessage[] = messages.slice(from).map((m) => ({
    id: newId(),
    conversationId,
    role: m.role,
    content: contentText(m.content),
    toolCallId: m.role === 'tool' ? m.tool_call_id : null,
  }));
  if (outcome.status === 'succeeded') {
    rows.push({
      id: newId(),
      conversationId,
      role: 'assistant',
      content: outcome.text,
      toolCalls: outcome.toolCalls.length ? outcome.toolCalls : null,
      runId: job.runId,
      promptTokens: outcome.usage.prompt_tokens,
      completionTokens: outcome.usage.completion_tokens,
    });
  }
  return {
    run: {
      id: job.runId,
      conversationId,
      apiKeyId: ownerKeyId,
      status: outcome.status,
      mode: 'sync',
      requestedModel: job.request.model,
      provider: outcome.provider,
      providerModel: outcome.model,
      attempt: outcome.attempt,
      startedAt: outcome.startedAt,
      finishedAt: new Date(),
      promptTokens: outcome.usage.prompt_tokens,
      completionTokens: outcome.usage.completion_tokens,
      cost: 0,
      finishReason: outcome.finishReason,
      error: outcome.error,
    },
    conversation,
    messages: rows,
    providerCalls: [
      {
        runId: job.runId,
        provider: outcome.provider,
        model: outcome.model,
        latencyMs: outcome.latencyMs,
        ttftMs: outcome.ttftMs,
        promptTokens: outcome.usage.prompt_tokens,
        completionTokens: outcome.usage.completion_tokens,
        outcome: outcome.status === 'succeeded' ? 'ok' : outcome.status === 'cancelled' ? 'aborted' : 'error',
        error: outcome.error,
      },
    ],
    spend: ownerKeyId ? { apiKeyId: ownerKeyId, tokens: outcome.usage.total_tokens, cost: 0 } : undefined,
  };
}
