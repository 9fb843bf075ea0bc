import { Inject, Injectable } from '@nestjs/common';
import { validatePipeline } from '@switchboard/config';
import { type AgentConfig, type PipelineConfig, type SavedPipelineDto, type SavedPipelineList, type SwitchboardConfig } from '@switchboard/contracts';
import { agentFromRow, type AgentsRepository, type PipelineRow, type PipelinesRepository, pipelineFromRow } from '@switchboard/db';
import { AGENTS_REPOSITORY, API_CONFIG, PIPELINES_REPOSITORY } from '../api.tokens.js';
import { type Principal } from '../auth/principal.js';
import { ApiError, isNamedError } from '../common/api-error.js';

/**
 * Saved pipelines (the web app's Manual tab, "save as named pipeline"). A saved pipeline is checked by the
 * config's own rules against what is callable now (the config's and the API's agents and pipelines), its name
 * must be free (no configured or saved pipeline, no agent, not `auto`), and gateways and workers pick it up
 * within seconds (PipelineDirectory): it is listed on /v1/models and runs by name like a configured one.
 * Any key may save one, as any key may run one; the key that saved it, or an admin, deletes it.
 */
@Injectable()
export class PipelinesService {
  constructor(
    @Inject(PIPELINES_REPOSITORY) private readonly pipelines: PipelinesRepository,
    @Inject(AGENTS_REPOSITORY) private readonly agents: AgentsRepository,
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
  ) {}

  async list(): Promise<SavedPipelineList> {
    return { data: (await this.pipelines.list()).map(toDto) };
  }

  async get(id: string): Promise<SavedPipelineDto> {
    const row = await this.pipelines.get(id);
    if (!row) throw ApiError.notFound('Pipeline', id);
    return toDto(row);
  }

  async create(principal: Principal, body: unknown): Promise<SavedPipelineDto> {
    const checked = validatePipeline(body, await this.callable(), { requireFreeName: true });
    if (!checked.ok) {
      const details = checked.problems.map((p) => ({ path: p.param, message: p.message }));
      const message = checked.problems.map((p) => (p.param ? `${p.param}: ${p.message}` : p.message)).join('; ');
      throw new ApiError(400, 'invalid_request_error', `Invalid pipeline: ${message}`, details, 'invalid_pipeline');
    }
    const { name, description, stages } = checked.pipeline;
    const row = await this.pipelines.create({ name, description, stages, createdBy: principal.keyId }).catch((error: unknown) => {
      // Two saves of one name at the same moment: the unique index decides.
      if (isNamedError(error, 'ConflictError')) throw ApiError.conflict(`A pipeline named "${name}" already exists`);
      throw error;
    });
    return toDto(row);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const row = await this.pipelines.get(id);
    if (!row) throw ApiError.notFound('Pipeline', id);
    if (principal.role !== 'admin' && row.createdBy !== principal.keyId) {
      throw new ApiError(403, 'permission_error', 'Only the key that saved this pipeline, or an admin, may delete it');
    }
    await this.pipelines.delete(id);
  }

  /** The config with the agents and pipelines callable now, as gateways and workers see them. */
  private async callable(): Promise<SwitchboardConfig> {
    const [agentRows, pipelineRows] = await Promise.all([this.agents.list(), this.pipelines.list()]);
    const agents = new Map<string, AgentConfig>(this.config.agents.map((a) => [a.name, a]));
    for (const row of agentRows) {
      const parsed = agentFromRow(row);
      if (parsed.ok) agents.set(row.name, parsed.agent);
    }
    const pipelines = new Map<string, PipelineConfig>(this.config.pipelines.map((p) => [p.name, p]));
    for (const row of pipelineRows) {
      const parsed = pipelineFromRow(row);
      // A row whose definition no longer parses still holds its name.
      if (!pipelines.has(row.name)) pipelines.set(row.name, parsed.ok ? parsed.pipeline : { name: row.name, description: '', stages: [] });
    }
    return { ...this.config, agents: [...agents.values()], pipelines: [...pipelines.values()] };
  }
}

function toDto(row: PipelineRow): SavedPipelineDto {
  const parsed = pipelineFromRow(row);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    stages: parsed.ok ? parsed.pipeline.stages : [],
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
