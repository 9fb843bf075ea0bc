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

/**
 * Writes what a run produced: the conversation (found by our id or the client's external id, else new), the
 * messages the client added since the last answer, the assistant's answer, the run and its provider call,
 * in one transaction. Runs after the client has its answer, so it never adds to time-to-first-token.
 */
export class RunRecorder {
  constructor(private readonly db: Database) {}

  async record(job: ChatRunJob, outcome: RunOutcome): Promise<void> {
    const ownerKeyId = job.apiKeyId;
    let conversationId: string | null = null;
    let newConversation: CompletedRunRecord['conversation'];
    if (job.conversationId) {
      conversationId = (await this.db.conversations.get(job.conversationId, ownerKeyId ?? undefined))?.id ?? null;
    } else if (job.externalConversationId) {
      conversationId = (await this.db.conversations.findByExternalId(ownerKeyId, job.externalConversationId))?.id ?? null;
    }
    const messages = job.request.messages;
    if (!conversationId) {
      conversationId = newId();
      const firstUser = messages.find((m) => m.role === 'user');
      newConversation = {
        id: conversationId,
        ownerKeyId,
        externalId: job.externalConversationId,
        agentId: null,
        title: firstUser ? contentText(firstUser.content).slice(0, 80) : 'New conversation',
      };
    }
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
      conversationId: conversationId!,
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
    await this.db.recordRun({
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
      conversation: newConversation,
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
    });
  }
}
