import { type ConversationDto, type MessageDto } from '@switchboard/contracts';
import { type ConversationRow, type MessageRow } from '@switchboard/db';

export function toConversationDto(row: ConversationRow): ConversationDto {
  return {
    id: row.id,
    title: row.title,
    agent_id: row.agentId,
    external_id: row.externalId,
    owner_key_id: row.ownerKeyId,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toMessageDto(row: MessageRow): MessageDto {
  return {
    id: row.id,
    conversation_id: row.conversationId,
    role: row.role,
    content: row.content,
    tool_calls: row.toolCalls,
    tool_call_id: row.toolCallId,
    run_id: row.runId,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    created_at: row.createdAt.toISOString(),
  };
}
