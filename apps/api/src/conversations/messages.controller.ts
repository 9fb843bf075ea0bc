import { Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type AppendMessagesRequest,
  appendMessagesRequestSchema,
  type AppendMessagesResponse,
  appendMessagesResponseSchema,
  type MessageDto,
  messagePageSchema,
  type PageQueryParams,
  pageQuerySchema,
  type PageResponse,
} from '@switchboard/contracts';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ZodBody, ZodQuery, ZodResponse } from '../common/zod-openapi.decorators.js';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { MessagesService } from './messages.service.js';

const conversationId = new IdParamPipe('Conversation');

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('api/conversations/:id/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get()
  @ZodResponse(200, messagePageSchema, [400, 401, 404])
  list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', conversationId) id: string,
    @ZodQuery(pageQuerySchema) query: PageQueryParams,
  ): Promise<PageResponse<MessageDto>> {
    return this.messages.list(principal, id, query);
  }

  @Post()
  @ZodResponse(201, appendMessagesResponseSchema, [400, 401, 404])
  append(
    @CurrentPrincipal() principal: Principal,
    @Param('id', conversationId) id: string,
    @ZodBody(appendMessagesRequestSchema) body: AppendMessagesRequest,
  ): Promise<AppendMessagesResponse> {
    return this.messages.append(principal, id, body);
  }
}
