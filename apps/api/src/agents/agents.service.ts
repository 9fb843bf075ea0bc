import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  type AgentDto,
  type AgentList,
  type CreateAgentRequest,
  type SwitchboardConfig,
  type UpdateAgentRequest,
} from '@switchboard/contracts';
import { type AgentsRepository } from '@switchboard/db';
import { AGENTS_REPOSITORY, API_CONFIG } from '../api.tokens.js';
import { ApiError, isNamedError } from '../common/api-error.js';
import { toAgentDto, toAgentPatch, toNewAgent } from './agent.mapper.js';

@Injectable()
export class AgentsService implements OnModuleInit {
  constructor(
    @Inject(AGENTS_REPOSITORY) private readonly agents: AgentsRepository,
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
  ) {}

  /** Config agents are (re)written at every start, so the file stays their source of truth. */
  async onModuleInit(): Promise<void> {
    await this.agents.seedFromConfig(this.config.agents.map((agent) => toNewAgent(agent, 'config')));
  }

  async list(): Promise<AgentList> {
    return { data: (await this.agents.list()).map(toAgentDto) };
  }

  async get(id: string): Promise<AgentDto> {
    const row = await this.agents.get(id);
    if (!row) throw ApiError.notFound('Agent', id);
    return toAgentDto(row);
  }

  async create(request: CreateAgentRequest): Promise<AgentDto> {
    const row = await this.agents.create(toNewAgent(request, 'api')).catch(nameTaken(request.name));
    return toAgentDto(row);
  }

  async update(id: string, patch: UpdateAgentRequest): Promise<AgentDto> {
    const row = await this.agents.update(id, toAgentPatch(patch)).catch(nameTaken(patch.name));
    if (!row) throw ApiError.notFound('Agent', id);
    return toAgentDto(row);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.agents.delete(id))) throw ApiError.notFound('Agent', id);
  }
}

function nameTaken(name: string | undefined) {
  return (error: unknown): never => {
    if (isNamedError(error, 'ConflictError')) throw ApiError.conflict(`An agent named "${name ?? ''}" already exists`);
    throw error;
  };
}
