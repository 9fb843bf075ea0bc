import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type SavedPipelineDto, type SavedPipelineList, savedPipelineListSchema, savedPipelineSchema, savePipelineRequestSchema } from '@switchboard/contracts';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ZodResponse } from '../common/zod-openapi.decorators.js';
import { toOpenApiSchema } from '../openapi/zod-json-schema.js';
import { PipelinesService } from './pipelines.service.js';

const pipelineId = new IdParamPipe('Pipeline');

@ApiTags('pipelines')
@ApiBearerAuth()
@Controller('api/pipelines')
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Get()
  @ZodResponse(200, savedPipelineListSchema, [401])
  list(): Promise<SavedPipelineList> {
    return this.pipelines.list();
  }

  /** The body is checked by the config's pipeline rules in the service (every problem with its path), not by a pipe. */
  @Post()
  @ApiBody({ required: true, schema: toOpenApiSchema(savePipelineRequestSchema, 'input') })
  @ZodResponse(201, savedPipelineSchema, [400, 401, 409])
  create(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<SavedPipelineDto> {
    return this.pipelines.create(principal, body);
  }

  @Get(':id')
  @ZodResponse(200, savedPipelineSchema, [401, 404])
  get(@Param('id', pipelineId) id: string): Promise<SavedPipelineDto> {
    return this.pipelines.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ZodResponse(204, null, [401, 403, 404])
  delete(@CurrentPrincipal() principal: Principal, @Param('id', pipelineId) id: string): Promise<void> {
    return this.pipelines.delete(principal, id);
  }
}
