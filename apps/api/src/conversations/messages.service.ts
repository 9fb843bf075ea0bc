import { Inject, Injectable } from '@nestjs/common';
import {
  type AppendMessagesRequest,
  type AppendMessagesResponse,
  type MessageDto,
  type PageQueryParams,
  type PageResponse,
} from '@switchboard/contracts';
import { type ConversationsRepository, type MessagesRepository } from '@switchboard/db';
import { CONVERSATIONS_REPOSITORY, MESSAGES_REPOSITORY } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { ownerScope, type Principal } from '../auth/principal.js';
import { toMessageDto } from './conversation.mapper.js';

/** Messages are reachable only through a conversation the caller may see. */
@Injectable()
export class MessagesService {
  constructor(
    @Inject(CONVERSATIONS_REPOSITORY) private readonly conversations: ConversationsRepository,
    @Inject(MESSAGES_REPOSITORY) private readonly messages: MessagesRepository,
  ) {}

  async list(principal: Principal, conversationId: string, query: PageQueryParams): Promise<PageResponse<MessageDto>> {
    await this.assertVisible(principal, conversationId);
    const page = await this.messages.list(conversationId, { cursor: query.cursor ?? null, limit: query.limit });
    return { data: page.items.map(toMessageDto), next_cursor: page.nextCursor };
  }

  async append(principal: Principal, conversationId: string, request: AppendMessagesRequest): Promise<AppendMessagesResponse> {
    await this.assertVisible(principal, conversationId);
    const rows = await this.messages.append(
      conversationId,
      request.messages.map((m) => ({
        role: m.role,
        content: m.content,
        toolCalls: m.tool_calls ?? null,
        toolCallId: m.tool_call_id ?? null,
      })),
    );
    return { data: rows.map(toMessageDto) };
  }

  private async assertVisible(principal: Principal, conversationId: string): Promise<void> {
    if (!(await this.conversations.get(conversationId, ownerScope(principal)))) {
      throw ApiError.notFound('Conversation', conversationId);
    }
  }
}
