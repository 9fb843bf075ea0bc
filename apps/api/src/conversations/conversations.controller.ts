import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type ConversationDto,
  conversationPageSchema,
  conversationSchema,
  type CreateConversationRequest,
  createConversationRequestSchema,
  type PageQueryParams,
  pageQuerySchema,
  type PageResponse,
  type UpdateConversationRequest,
  updateConversationRequestSchema,
} from '@switchboard/contracts';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ZodBody, ZodQuery, ZodResponse } from '../common/zod-openapi.decorators.js';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { ConversationsService } from './conversations.service.js';

const conversationId = new IdParamPipe('Conversation');

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('api/conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  @ZodResponse(201, conversationSchema, [400, 401, 404, 409])
  create(@CurrentPrincipal() principal: Principal, @ZodBody(createConversationRequestSchema) body: CreateConversationRequest): Promise<ConversationDto> {
    return this.conversations.create(principal, body);
  }

  @Get()
  @ZodResponse(200, conversationPageSchema, [400, 401])
  list(@CurrentPrincipal() principal: Principal, @ZodQuery(pageQuerySchema) query: PageQueryParams): Promise<PageResponse<ConversationDto>> {
    return this.conversations.list(principal, query);
  }

  @Get(':id')
  @ZodResponse(200, conversationSchema, [401, 404])
  get(@CurrentPrincipal() principal: Principal, @Param('id', conversationId) id: string): Promise<ConversationDto> {
    return this.conversations.get(principal, id);
  }

  @Patch(':id')
  @ZodResponse(200, conversationSchema, [400, 401, 404])
  rename(
    @CurrentPrincipal() principal: Principal,
    @Param('id', conversationId) id: string,
    @ZodBody(updateConversationRequestSchema) body: UpdateConversationRequest,
  ): Promise<ConversationDto> {
    return this.conversations.rename(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ZodResponse(204, null, [401, 404])
  delete(@CurrentPrincipal() principal: Principal, @Param('id', conversationId) id: string): Promise<void> {
    return this.conversations.delete(principal, id);
  }
}
