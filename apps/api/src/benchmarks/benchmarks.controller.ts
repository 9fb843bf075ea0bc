import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type BenchmarkDto,
  benchmarkListSchema,
  benchmarkSchema,
  type CreateBenchmarkRequest,
  createBenchmarkRequestSchema,
  type PageQueryParams,
  pageQuerySchema,
  type PageResponse,
} from '@switchboard/contracts';
import { AdminOnly, CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ZodBody, ZodQuery, ZodResponse } from '../common/zod-openapi.decorators.js';
import { BenchmarksService } from './benchmarks.service.js';

const benchmarkId = new IdParamPipe('Benchmark');

@ApiTags('benchmarks')
@ApiBearerAuth()
@Controller('api/benchmarks')
export class BenchmarksController {
  constructor(private readonly benchmarks: BenchmarksService) {}

  /** Accepted: a worker runs the prompt set against the models; poll GET /api/benchmarks/:id for the results. */
  @Post()
  @AdminOnly()
  @HttpCode(202)
  @ZodResponse(202, benchmarkSchema, [400, 401, 403, 503])
  create(@CurrentPrincipal() principal: Principal, @ZodBody(createBenchmarkRequestSchema) body: CreateBenchmarkRequest): Promise<BenchmarkDto> {
    return this.benchmarks.create(principal, body);
  }

  @Get()
  @ZodResponse(200, benchmarkListSchema, [400, 401])
  list(@ZodQuery(pageQuerySchema) query: PageQueryParams): Promise<PageResponse<BenchmarkDto>> {
    return this.benchmarks.list(query);
  }

  @Get(':id')
  @ZodResponse(200, benchmarkSchema, [401, 404])
  get(@Param('id', benchmarkId) id: string): Promise<BenchmarkDto> {
    return this.benchmarks.get(id);
  }
}
