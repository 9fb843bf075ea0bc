import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type AgentDto,
  type AgentList,
  agentListSchema,
  agentSchema,
  type CreateAgentRequest,
  createAgentRequestSchema,
  type UpdateAgentRequest,
  updateAgentRequestSchema,
} from '@switchboard/contracts';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ZodBody, ZodResponse } from '../common/zod-openapi.decorators.js';
import { AdminOnly } from '../auth/auth.decorators.js';
import { AgentsService } from './agents.service.js';

const agentId = new IdParamPipe('Agent');

@ApiTags('agents')
@ApiBearerAuth()
@Controller('api/agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @ZodResponse(200, agentListSchema, [401])
  list(): Promise<AgentList> {
    return this.agents.list();
  }

  @Post()
  @AdminOnly()
  @ZodResponse(201, agentSchema, [400, 401, 403, 409])
  create(@ZodBody(createAgentRequestSchema) body: CreateAgentRequest): Promise<AgentDto> {
    return this.agents.create(body);
  }

  @Get(':id')
  @ZodResponse(200, agentSchema, [401, 404])
  get(@Param('id', agentId) id: string): Promise<AgentDto> {
    return this.agents.get(id);
  }

  @Patch(':id')
  @AdminOnly()
  @ZodResponse(200, agentSchema, [400, 401, 403, 404, 409])
  update(@Param('id', agentId) id: string, @ZodBody(updateAgentRequestSchema) body: UpdateAgentRequest): Promise<AgentDto> {
    return this.agents.update(id, body);
  }

  @Delete(':id')
  @AdminOnly()
  @HttpCode(204)
  @ZodResponse(204, null, [401, 403, 404])
  delete(@Param('id', agentId) id: string): Promise<void> {
    return this.agents.delete(id);
  }
}
