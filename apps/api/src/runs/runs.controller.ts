import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type PageResponse, type RunDto, type RunListQuery, runListQuerySchema, runPageSchema, runSchema } from '@switchboard/contracts';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ZodQuery, ZodResponse } from '../common/zod-openapi.decorators.js';
import { RunsService } from './runs.service.js';

const runId = new IdParamPipe('Run');

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  /** The caller's runs (an admin's: everyone's), newest first. Attempts are on each run's own page. */
  @Get()
  @ZodResponse(200, runPageSchema, [400, 401])
  list(@CurrentPrincipal() principal: Principal, @ZodQuery(runListQuerySchema) query: RunListQuery): Promise<PageResponse<RunDto>> {
    return this.runs.list(principal, query);
  }

  @Get(':id')
  @ZodResponse(200, runSchema, [401, 404])
  get(@CurrentPrincipal() principal: Principal, @Param('id', runId) id: string): Promise<RunDto> {
    return this.runs.get(principal, id);
  }

  /**
   * Accepted. A run still in the queue is taken off it and answered `cancelled` at once; a running one is
   * aborted by the worker holding it: poll GET /api/runs/:id (or read the stream) for `cancelled`.
   */
  @Post(':id/cancel')
  @HttpCode(202)
  @ZodResponse(202, runSchema, [401, 404, 409, 503])
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', runId) id: string): Promise<RunDto> {
    return this.runs.cancel(principal, id);
  }
}
