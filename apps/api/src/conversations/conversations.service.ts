import { Inject, Injectable } from '@nestjs/common';
import {
  type ConversationDto,
  type CreateConversationRequest,
  type PageQueryParams,
  type PageResponse,
  type UpdateConversationRequest,
} from '@switchboard/contracts';
import { type AgentsRepository, type ConversationsRepository } from '@switchboard/db';
import { AGENTS_REPOSITORY, CONVERSATIONS_REPOSITORY } from '../api.tokens.js';
import { ApiError, isNamedError } from '../common/api-error.js';
import { ownerScope, type Principal } from '../auth/principal.js';
import { toConversationDto } from './conversation.mapper.js';

/** Conversations belong to the key that made them; a key sees only its own, admins see all. */
@Injectable()
export class ConversationsService {
  constructor(
    @Inject(CONVERSATIONS_REPOSITORY) private readonly conversations: ConversationsRepository,
    @Inject(AGENTS_REPOSITORY) private readonly agents: AgentsRepository,
  ) {}

  async create(principal: Principal, request: CreateConversationRequest): Promise<ConversationDto> {
    if (request.agent_id !== undefined && !(await this.agents.get(request.agent_id))) {
      throw ApiError.notFound('Agent', request.agent_id);
    }
    const row = await this.conversations
      .create({
        ownerKeyId: principal.keyId,
        agentId: request.agent_id ?? null,
        externalId: request.external_id ?? null,
        title: request.title,
      })
      .catch((error: unknown) => {
        if (isNamedError(error, 'ConflictError')) {
          throw ApiError.conflict(`A conversation with external_id "${request.external_id ?? ''}" already exists`);
        }
        throw error;
      });
    return toConversationDto(row);
  }

  async list(principal: Principal, query: PageQueryParams): Promise<PageResponse<ConversationDto>> {
    const page = await this.conversations.list(ownerScope(principal), { cursor: query.cursor ?? null, limit: query.limit });
    return { data: page.items.map(toConversationDto), next_cursor: page.nextCursor };
  }

  async get(principal: Principal, id: string): Promise<ConversationDto> {
    const row = await this.conversations.get(id, ownerScope(principal));
    if (!row) throw ApiError.notFound('Conversation', id);
    return toConversationDto(row);
  }

  async rename(principal: Principal, id: string, request: UpdateConversationRequest): Promise<ConversationDto> {
    const row = await this.conversations.rename(id, request.title, ownerScope(principal));
    if (!row) throw ApiError.notFound('Conversation', id);
    return toConversationDto(row);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    if (!(await this.conversations.delete(id, ownerScope(principal)))) throw ApiError.notFound('Conversation', id);
  }
}
